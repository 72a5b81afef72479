// Seed 000's agent service: the four agents, each one chat call through Sluice with its endpoint,
// the student's tier and the task's priority.
import type { Sluice } from '@sluice/core'

export interface Student {
  id: string
  tier: 'free' | 'premium' | 'superadmin'
}

const chat = (system: string, user: string) => ({
  model: 'deepseek-chat',
  messages: [
    { role: 'system' as const, content: system },
    { role: 'user' as const, content: user },
  ],
  max_tokens: 300,
})

export function agents(sluice: Sluice) {
  const ask = (
    s: Student,
    endpoint: string,
    priority: 'high' | 'normal' | 'low',
    req: ReturnType<typeof chat>,
  ) =>
    sluice
      .chat(req, { userId: s.id, tier: s.tier, endpoint, priority })
      .then((r) => ({ text: r.choices[0]?.message.content ?? '', meta: r.sluice }))
  return {
    checkAnswer: (s: Student, exercise: string, answer: string) =>
      ask(
        s,
        'check_answer',
        'high',
        chat(
          'You correct language exercises. Say whether the answer is right and why.',
          `${exercise}\nAnswer: ${answer}`,
        ),
      ),
    translate: (s: Student, text: string, language: string) =>
      ask(s, 'translate', 'normal', chat(`Translate into ${language}.`, text)),
    generateExamples: (s: Student, word: string) =>
      ask(s, 'examples', 'low', chat('Give three example sentences using the word.', word)),
    askTeacher: (s: Student, question: string) =>
      ask(s, 'ask_teacher', 'normal', chat('You are a patient language teacher.', question)),
  }
}

import { fnv1a } from './random'

export interface SimMessage {
  role: string
  content: unknown
}

export const countTokens = (text: string) => Math.max(1, Math.ceil(text.length / 4))

export function textOf(messages: SimMessage[]): string {
  return messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')))
    .join('\n')
}

export interface Answer {
  content: string
  /** `length` when max_tokens cut the answer short, as the real APIs report it. */
  finishReason: 'stop' | 'length'
}

/**
 * A deterministic answer: the same prompt always gets the same words and length, and never
 * more completion tokens than `maxTokens` allows — a longer answer is cut, like a real API does.
 */
export function answerFor(model: string, messages: SimMessage[], maxTokens: number): Answer {
  const full = fullAnswer(model, messages, maxTokens)
  if (countTokens(full) <= maxTokens) return { content: full, finishReason: 'stop' }
  return { content: full.slice(0, maxTokens * 4), finishReason: 'length' }
}

/** A given text as an answer, cut at `maxTokens` as a real API cuts it. */
export function cutAt(text: string, maxTokens: number): Answer {
  if (countTokens(text) <= maxTokens) return { content: text, finishReason: 'stop' }
  return { content: text.slice(0, maxTokens * 4), finishReason: 'length' }
}

/** An answer of exactly `maxTokens` tokens, cut there: the longest a request allows. */
export function longestAnswer(maxTokens: number): Answer {
  return { content: 'word '.repeat(maxTokens).slice(0, maxTokens * 4), finishReason: 'length' }
}

function fullAnswer(model: string, messages: SimMessage[], maxTokens: number): string {
  const last = [...messages].reverse().find((m) => m.role === 'user')
  const prompt = typeof last?.content === 'string' ? last.content : ''
  const h = fnv1a(model + prompt)
  const words = [
    'Sure',
    'here',
    'is',
    'a',
    'clear',
    'answer',
    'about',
    'that',
    'topic',
    'with',
    'one',
    'example',
    'and',
    'a',
    'short',
    'note',
  ]
  const length = Math.min(maxTokens, 12 + (h % 40))
  const out: string[] = [`(${model})`]
  for (let i = 0; out.join(' ').length / 4 < length; i++)
    out.push(words[(h >>> (i % 24)) % words.length]! + (i % 9 === 8 ? '.' : ''))
  return `${out.join(' ')} [re: ${prompt.slice(0, 60)}]`
}

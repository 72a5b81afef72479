import type { ChatCompletion, Provider } from '@sluice/core'

const completion: ChatCompletion = {
  id: 'x',
  object: 'chat.completion',
  created: 0,
  model: 'deepseek-chat',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12 },
}

/** A provider that answers at once, so what a benchmark measures is Sluice and its store. */
export const instant: Provider = {
  name: 'instant',
  models: ['deepseek-chat'],
  defaultModel: 'deepseek-chat',
  chat: async () => completion,
  async *stream() {
    const base = { id: 'x', object: 'chat.completion.chunk' as const, created: 0, model: 'deepseek-chat' }
    yield {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant' as const, content: 'ok' }, finish_reason: null }],
    }
    yield { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }
    yield { ...base, choices: [], usage: completion.usage! }
  },
}

import type { Call, Outcome } from '../../chain/types'
import type { ChatCompletion } from '../../providers/types'
import { type CallFields, newCall } from '../make-call'

/** For the middlewares' own tests: a chat call as the chain would build it. */
export function chatCall(content = 'hola', over: Partial<CallFields> = {}): Call {
  return newCall({
    kind: 'chat',
    endpoint: 'ask',
    userId: 'ana',
    tier: undefined,
    priority: 5,
    request: { model: 'deepseek-chat', messages: [{ role: 'user', content }] },
    cache: { enabled: true, type: 'ask' },
    ...over,
  })
}

/** An answer as the provider step returns it. */
export function answer(content: string, tokens = { prompt: 10, completion: 5 }): Outcome {
  const usage = {
    prompt_tokens: tokens.prompt,
    completion_tokens: tokens.completion,
    total_tokens: tokens.prompt + tokens.completion,
  }
  const value: ChatCompletion = {
    id: 'c',
    object: 'chat.completion',
    created: 0,
    model: 'deepseek-chat',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  }
  return { value, usage, model: 'deepseek-chat', provider: 'deepseek' }
}

/** A `next` that answers and counts how often it ran. */
export function countingNext(outcome: () => Promise<Outcome> = async () => answer('ok')) {
  const next = Object.assign(
    () => {
      next.calls++
      return outcome()
    },
    { calls: 0 },
  )
  return next
}

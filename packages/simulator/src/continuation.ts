import type { SimMessage } from './answer'

/** The instruction a client sends after an answer's partial text to have it continued. */
export const CONTINUE_PREFIX = 'Continue'

/**
 * A request that asks to continue a partial answer: its messages end with the partial answer as
 * an assistant message marked `prefix: true` (DeepSeek's prefix completion), or with it followed
 * by a user message starting "Continue". Gives the partial text and the conversation before it.
 */
export function continuationOf(
  messages: SimMessage[],
): { prefix: string; before: SimMessage[]; form: 'prefix' | 'instruction' } | undefined {
  const last = messages.at(-1) as (SimMessage & { prefix?: boolean }) | undefined
  if (last?.role === 'assistant' && last.prefix === true && typeof last.content === 'string')
    return { prefix: last.content, before: messages.slice(0, -1), form: 'prefix' }
  const partial = messages.at(-2)
  if (
    last?.role === 'user' &&
    typeof last.content === 'string' &&
    last.content.startsWith(CONTINUE_PREFIX) &&
    partial?.role === 'assistant' &&
    typeof partial.content === 'string'
  )
    return { prefix: partial.content, before: messages.slice(0, -2), form: 'instruction' }
  return undefined
}

/** The rest of `full` after `prefix` when it starts with it (a model that picks up where it was cut); else all of it. */
export function continuedText(full: string, prefix: string): string {
  return full.startsWith(prefix) ? full.slice(prefix.length) : full
}

import { SluiceError } from '../errors/sluice-error'
import type { ChatChunk, ChatCompletion } from './types'

const hasChoices = (value: unknown) =>
  typeof value === 'object' && value !== null && Array.isArray((value as { choices?: unknown }).choices)

function notAnAnswer(provider: string, what: string): SluiceError {
  // Retryable: another attempt, or the next provider, may answer properly.
  return new SluiceError(
    'provider_error',
    `${provider}: the answer is not a chat ${what} (no choices array)`,
    {
      provider,
      retryable: true,
    },
  )
}

/** A provider's answer, checked to be a chat completion before anything keeps or returns it. */
export function checkedCompletion(provider: string, value: unknown): ChatCompletion {
  if (!hasChoices(value)) throw notAnAnswer(provider, 'completion')
  return value as ChatCompletion
}

/** A provider's stream chunk, checked to be a chat completion chunk (the usage chunk has `choices: []`). */
export function checkedChunk(provider: string, value: unknown): ChatChunk {
  if (!hasChoices(value)) throw notAnAnswer(provider, 'completion chunk')
  return value as ChatChunk
}

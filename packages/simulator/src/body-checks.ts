import type { SimMessage } from './answer'

/** A chat completions request body, as the simulator reads it. */
export interface ChatBody {
  model?: string
  messages?: SimMessage[]
  max_tokens?: number
  stream?: boolean
  stream_options?: { include_usage?: boolean }
}

/** A body that passed `refusalOf`. */
export type CheckedBody = ChatBody & { model: string; messages: SimMessage[] }

/** What the real APIs answer a bad body: 400 for a malformed one, 404 for an unknown model. */
export function refusalOf(
  body: ChatBody,
  models: readonly string[],
): { status: number; error: Record<string, string> } | undefined {
  if (!Array.isArray(body.messages) || body.messages.length === 0 || typeof body.model !== 'string')
    return {
      status: 400,
      error: { message: 'model and messages are required', type: 'invalid_request_error' },
    }
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || body.max_tokens < 1))
    return {
      status: 400,
      error: { message: 'max_tokens must be a positive integer', type: 'invalid_request_error' },
    }
  if (!models.includes(body.model)) {
    return {
      status: 404,
      error: {
        message: `model ${body.model} does not exist`,
        type: 'invalid_request_error',
        code: 'model_not_found',
      },
    }
  }
  return undefined
}

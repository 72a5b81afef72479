import { SluiceError } from '../errors/sluice-error'
import type { ChatRequest } from '../providers/types'

const encoder = new TextEncoder()

/**
 * Refuses a request whose JSON is larger than `maxBytes`, before anything is sent: one user's
 * 20 MB prompt must not be retried, sent to every fallback and open every breaker.
 */
export function checkRequestSize(request: ChatRequest, maxBytes: number): void {
  const json = JSON.stringify(request)
  if (json.length * 3 <= maxBytes) return // even at 3 bytes a char it fits
  const bytes = json.length > maxBytes ? json.length : encoder.encode(json).byteLength
  if (bytes <= maxBytes) return
  throw new SluiceError('invalid_request', `request: ${bytes} bytes is over maxRequestBytes (${maxBytes})`, {
    path: 'request',
    status: 413,
    details: { requestCaused: true, bytes, maxBytes },
  })
}

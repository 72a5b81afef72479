import { SluiceError } from '../errors/sluice-error'

/** The provider had no capacity for the call within its wait: `capacity_exceeded`, never a breaker failure. */
export function capacityExceeded(provider: string, model: string, retryAfterMs: number, waitedMs: number) {
  return new SluiceError(
    'capacity_exceeded',
    `${provider}: at capacity for '${model}'; retry in ${Math.max(1, Math.ceil(retryAfterMs / 1000))}s`,
    {
      provider,
      retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)),
      details: { model, waitedMs: Math.round(waitedMs) },
    },
  )
}

/** A pool key the provider refused (401/403): the call goes with another key of the pool. */
export function keyRevoked(provider: string, key: string | undefined) {
  return new SluiceError(
    'provider_error',
    `${provider}: ${key} was refused (401/403); it is out of the pool`,
    {
      provider,
      status: 401,
      details: { key, revoked: true },
    },
  )
}

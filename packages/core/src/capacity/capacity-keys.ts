import { keyOf, slotted } from '../util/keys'

/** The store keys of one provider's (model's, pool key's) capacity, on one slot (the provider's). */
export function capacityKeys(prefix: string, provider: string, model: string, key = '') {
  const base = `${prefix}:capacity:${keyOf(model, key)}`
  const at = (what: string) => slotted(`${base}:${what}`, provider)
  return {
    requests: at('rpm'),
    tokens: at('tpm'),
    /** The pace of each: a bucket that lets a third of a window go at once, then the window's rate. */
    requestsPace: at('rpm:pace'),
    tokensPace: at('tpm:pace'),
    /** What was learned of its limits (JSON), for the fleet. */
    learned: at('learned'),
    /** Present while the provider said it is full (a 429, or nothing remaining). */
    full: at('full'),
    /** Held by the one attempt that learns a provider's limits before any are known. */
    learning: at('learning'),
    /** Present once the provider refused this pool key (401/403): the fleet stops sending with it. */
    revoked: at('revoked'),
    slot: (i: number) => at(`slot:${i}`),
  }
}

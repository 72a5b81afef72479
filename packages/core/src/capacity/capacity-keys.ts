import { keyOf, slotted } from '../util/keys'

/** The store keys of one provider's (and model's) capacity, on one slot (the provider's). */
export function capacityKeys(prefix: string, provider: string, model: string) {
  const base = `${prefix}:capacity:${keyOf(model)}`
  const at = (what: string) => slotted(`${base}:${what}`, provider)
  return {
    requests: at('rpm'),
    tokens: at('tpm'),
    /** What was learned of its limits (JSON), for the fleet. */
    learned: at('learned'),
    /** Present while the provider said it is full (a 429, or nothing remaining). */
    full: at('full'),
    /** Held by the one attempt that learns a provider's limits before any are known. */
    learning: at('learning'),
    slot: (i: number) => at(`slot:${i}`),
  }
}

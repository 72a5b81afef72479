import type { RedisCommands } from './client'
import { rollUpUsage, type UsageKeys } from './usage-rollup'

/**
 * Every `everyMs`, one instance of the fleet (whoever takes the turn's lock, a key that expires
 * with the turn) rolls old usage rows up into daily totals; the rest of Redis's state expires by
 * itself. Its timer never holds the process open; a failed turn waits for the next.
 */
export function startRedisHousekeeping(
  client: RedisCommands,
  keyFor: (key: string) => string,
  keys: UsageKeys,
  o: { everyMs: number; ageMs: number; maxRows: number },
): () => void {
  const lock = keyFor('housekeeping:{usage:rows}')
  let running = false
  const turn = async () => {
    if (running) return
    running = true
    try {
      if (await client.set(lock, String(Date.now()), Math.max(1, o.everyMs - 50), true))
        await rollUpUsage(client, keys, { ageMs: o.ageMs, maxRows: o.maxRows, now: Date.now() })
    } catch {
      // The store is away: the next turn tries again.
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void turn(), o.everyMs)
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer)
}

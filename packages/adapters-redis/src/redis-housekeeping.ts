import type { RedisCommands } from './client'
import { rollUpUsage, type UsageKeys } from './usage-rollup'

export interface RedisHousekeeping {
  stop(): void
  /**
   * The rows are near their cap (a burst faster than the turns): roll the oldest up now, on this
   * instance, without waiting for a turn, down to eight tenths of the cap. A call while one runs
   * makes it run once more.
   */
  relieve(): void
}

/**
 * Every `everyMs`, one instance of the fleet (whoever takes the turn's lock, a key that expires
 * with the turn) rolls old usage rows up into daily totals; the rest of Redis's state expires by
 * itself. Its timer never holds the process open; a failed turn waits for the next. Rolling up
 * on two instances at once is safe (each row moves once), so `relieve` takes no lock.
 */
export function startRedisHousekeeping(
  client: RedisCommands,
  keyFor: (key: string) => string,
  keys: UsageKeys,
  o: { everyMs: number; ageMs: number; maxRows: number },
): RedisHousekeeping {
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
  let relieving = false
  let again = false
  const keep = Math.floor(o.maxRows * 0.8)
  const relieve = async () => {
    if (relieving) {
      again = true
      return
    }
    relieving = true
    try {
      do {
        again = false
        await rollUpUsage(client, keys, { ageMs: o.ageMs, maxRows: o.maxRows, now: Date.now(), keep })
      } while (again)
    } catch {
      // The store is away: the cap bounds the rows meanwhile, and the next turn tries again.
    } finally {
      relieving = false
    }
  }
  const timer = setInterval(() => void turn(), o.everyMs)
  ;(timer as { unref?: () => void }).unref?.()
  return { stop: () => clearInterval(timer), relieve: () => void relieve() }
}

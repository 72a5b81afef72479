import { SluiceError } from '@sluice/core/adapter'
import type { RedisCommands } from './client'

export interface Script {
  source: string
  /** SHA-1 of `source`, written out so the adapter needs no hashing (no Node built-in) at load; a test checks it. */
  sha: string
}

/** Server time in ms (with sub-ms precision), so app instances whose clocks disagree still agree. */
export const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`

export function script(source: string, sha: string): Script {
  return { source, sha }
}

/**
 * Runs a Lua script by its hash (EVALSHA), loading it with EVAL when the server does not know it
 * yet (NOSCRIPT: after a restart or a SCRIPT FLUSH). Connection faults become store_unavailable.
 */
export function runScript(
  redis: RedisCommands,
  s: Script,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  let sent: Promise<unknown>
  try {
    sent = redis.evalsha(s.sha, keys, args)
  } catch (cause) {
    return Promise.reject(storeError(cause))
  }
  return sent.catch((error) => {
    if (!String((error as Error)?.message).includes('NOSCRIPT')) throw storeError(error)
    return redis.eval(s.source, keys, args).catch((cause) => {
      throw storeError(cause)
    })
  })
}

/** A Redis fault as the core's store_unavailable (the port's failure policy then applies). */
export function storeError(cause: unknown): SluiceError {
  if (SluiceError.is(cause)) return cause
  return new SluiceError('store_unavailable', `redis: ${(cause as Error)?.message ?? cause}`, {
    cause,
    retryable: true,
  })
}

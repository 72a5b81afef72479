import { createHash } from 'node:crypto'
import { SluiceError } from '@sluice/core/adapter'
import type { RedisCommands } from './client'

export interface Script {
  source: string
  sha: string
}

export function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Runs a Lua script by its hash (EVALSHA), loading it with EVAL when the server does not know it
 * yet (NOSCRIPT: after a restart or a SCRIPT FLUSH). Connection faults become store_unavailable.
 */
export async function runScript(
  redis: RedisCommands,
  s: Script,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    try {
      return await redis.evalsha(s.sha, keys, args)
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error
      return await redis.eval(s.source, keys, args)
    }
  } catch (cause) {
    throw new SluiceError('store_unavailable', `redis: ${(cause as Error)?.message ?? cause}`, {
      cause,
      retryable: true,
    })
  }
}

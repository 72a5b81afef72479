import { SluiceError } from '@sluice/core/adapter'

/** The few commands the adapter needs, whatever the client: ioredis (TCP) or @upstash/redis (REST). */
export interface RedisCommands {
  evalsha(sha: string, keys: string[], args: (string | number)[]): Promise<unknown>
  eval(source: string, keys: string[], args: (string | number)[]): Promise<unknown>
  del(key: string): Promise<unknown>
  quit(): Promise<unknown>
}

interface IoredisLike {
  defineCommand: unknown
  status?: string
  evalsha(sha: string, numKeys: number, ...rest: (string | number)[]): Promise<unknown>
  eval(source: string, numKeys: number, ...rest: (string | number)[]): Promise<unknown>
  del(key: string): Promise<unknown>
  quit(): Promise<unknown>
}

interface UpstashLike {
  evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown>
  eval(source: string, keys: string[], args: unknown[]): Promise<unknown>
  del(...keys: string[]): Promise<unknown>
  pipeline: unknown
}

const DOWN = new Set(['reconnecting', 'close', 'end'])

/** Adapts an ioredis or @upstash/redis client; anything else is an invalid_config. */
export function commandsFor(client: unknown): RedisCommands {
  const c = client as Partial<IoredisLike & UpstashLike> | undefined
  if (c && typeof c.defineCommand === 'function' && typeof c.evalsha === 'function') {
    const io = c as IoredisLike
    // While ioredis reconnects it queues commands and sends them all when the server is back:
    // rate-limit calls nobody waits for any more would then consume units. A lost connection
    // fails at once instead (the first connect, 'connecting', still queues as usual).
    const up = <T>(send: () => Promise<T>): Promise<T> =>
      DOWN.has(io.status ?? '') ? Promise.reject(new Error(`redis connection is ${io.status}`)) : send()
    return {
      evalsha: (sha, keys, args) => up(() => io.evalsha(sha, keys.length, ...keys, ...args)),
      eval: (source, keys, args) => up(() => io.eval(source, keys.length, ...keys, ...args)),
      del: (key) => up(() => io.del(key)),
      quit: () => io.quit(),
    }
  }
  if (c && typeof c.pipeline === 'function' && typeof c.evalsha === 'function') {
    const up = c as UpstashLike
    return {
      evalsha: (sha, keys, args) => up.evalsha(sha, keys, args),
      eval: (source, keys, args) => up.eval(source, keys, args),
      del: (key) => up.del(key),
      quit: async () => undefined, // REST: nothing to close
    }
  }
  throw new SluiceError(
    'invalid_config',
    'redisStore: client: expected an ioredis or @upstash/redis client',
    {
      path: 'redisStore.client',
    },
  )
}

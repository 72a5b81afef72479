import { SluiceError } from '@sluice/core/adapter'

/**
 * The few commands the adapter needs, whatever the client: ioredis (TCP, one server or a Cluster)
 * or @upstash/redis (REST). Everything that reads a value goes through a script, whose replies
 * are shaped so the Upstash client's JSON parsing of replies cannot change them.
 */
export interface RedisCommands {
  /** One server over TCP: a script may name any keys (not a Cluster, not REST). */
  singleServer: boolean
  evalsha(sha: string, keys: string[], args: (string | number)[]): Promise<unknown>
  eval(source: string, keys: string[], args: (string | number)[]): Promise<unknown>
  /** SET … PX (NX); true when it was set. */
  set(key: string, value: string, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean>
  /** Deletes keys (each on its own: on a Cluster they may sit on different slots); how many went. */
  del(keys: string[]): Promise<number>
  /** Keys matching a SCAN pattern, a page at a time, on every node that holds keys. */
  scan(match: string): AsyncIterable<string[]>
  publish(channel: string, message: string): Promise<void>
  /**
   * Pub/sub on a connection of its own (ioredis); REST has none, so followers poll. `onReady` is
   * called once the server confirmed the subscription: what was published before it is missed,
   * so a caller checks again then.
   */
  subscribe?(channel: string, listener: (message: string) => void, onReady?: () => void): () => void
  quit(): Promise<void>
  /** Ends what the adapter opened itself (the subscriber connection). */
  close(): Promise<void>
}

interface IoredisLike {
  defineCommand: unknown
  status?: string
  evalsha(sha: string, numKeys: number, ...rest: (string | number)[]): Promise<unknown>
  eval(source: string, numKeys: number, ...rest: (string | number)[]): Promise<unknown>
  set(key: string, value: string, px: 'PX', ttl: number, nx?: 'NX'): Promise<string | null>
  del(...keys: string[]): Promise<number>
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>
  publish(channel: string, message: string): Promise<number>
  duplicate(): IoredisLike & {
    subscribe(channel: string): Promise<unknown>
    unsubscribe(channel: string): Promise<unknown>
    on(event: string, fn: (...a: unknown[]) => void): unknown
    disconnect(): void
  }
  nodes?(role: 'master'): IoredisLike[]
  quit(): Promise<unknown>
}

interface UpstashLike {
  evalsha(sha: string, keys: string[], args: unknown[]): Promise<unknown>
  eval(source: string, keys: string[], args: unknown[]): Promise<unknown>
  set(key: string, value: string, opts: { px: number; nx?: true }): Promise<unknown>
  del(...keys: string[]): Promise<number>
  scan(cursor: string | number, opts: { match: string; count: number }): Promise<[string | number, string[]]>
  publish(channel: string, message: string): Promise<number>
  pipeline: unknown
}

type AnyMethod = (...args: never[]) => unknown

/**
 * The clients `redisStore` takes, told apart by shape so that no public type imports ioredis or
 * @upstash/redis (a user installs one of them, not both): an ioredis `Redis` or `Cluster`, or an
 * @upstash/redis `Redis`.
 */
export type RedisClient =
  | { evalsha: AnyMethod; duplicate: AnyMethod; defineCommand: unknown }
  | { evalsha: AnyMethod; pipeline: AnyMethod }

const DOWN = new Set(['reconnecting', 'close', 'end'])
const PAGE = 500

async function* scanNode(
  scan: (cursor: string) => Promise<[string | number, string[]]>,
): AsyncIterable<string[]> {
  let cursor = '0'
  do {
    const [next, keys] = await scan(cursor)
    if (keys.length > 0) yield keys.map(String)
    cursor = String(next)
  } while (cursor !== '0')
}

function ioredisCommands(io: IoredisLike): RedisCommands {
  // While ioredis reconnects it queues commands and sends them all when the server is back:
  // rate-limit calls nobody waits for any more would then consume units. A lost connection
  // fails at once instead (the first connect, 'connecting', still queues as usual).
  const up = <T>(send: () => Promise<T>): Promise<T> =>
    DOWN.has(io.status ?? '') ? Promise.reject(new Error(`redis connection is ${io.status}`)) : send()
  let subscriber: ReturnType<IoredisLike['duplicate']> | undefined
  const listeners = new Map<string, Set<(message: string) => void>>()
  const confirmed = new Set<string>()
  const awaiting = new Map<string, (() => void)[]>() // channel → onReady callbacks until confirmed
  const subscriberOf = () => {
    if (subscriber) return subscriber
    subscriber = io.duplicate()
    subscriber.on('error', () => {}) // it reconnects by itself; pushes are a speed-up, polling is the backstop
    subscriber.on('message', (channel, message) => {
      for (const l of [...(listeners.get(String(channel)) ?? [])]) l(String(message))
    })
    return subscriber
  }
  return {
    singleServer: !io.nodes,
    evalsha: (sha, keys, args) => up(() => io.evalsha(sha, keys.length, ...keys, ...args)),
    eval: (source, keys, args) => up(() => io.eval(source, keys.length, ...keys, ...args)),
    set: (key, value, ttlMs, nx) =>
      up(() => (nx ? io.set(key, value, 'PX', ttlMs, 'NX') : io.set(key, value, 'PX', ttlMs))).then(
        (r) => r === 'OK',
      ),
    del: async (keys) => (await Promise.all(keys.map((k) => up(() => io.del(k))))).reduce((a, b) => a + b, 0),
    async *scan(match) {
      for (const node of io.nodes ? io.nodes('master') : [io]) {
        yield* scanNode((cursor) => up(() => node.scan(cursor, 'MATCH', match, 'COUNT', PAGE)))
      }
    },
    publish: async (channel, message) => {
      await up(() => io.publish(channel, message))
    },
    subscribe(channel, listener, onReady) {
      const sub = subscriberOf()
      let set = listeners.get(channel)
      if (!set) {
        set = new Set()
        listeners.set(channel, set)
        sub.subscribe(channel).then(
          () => {
            if (listeners.get(channel) !== set) return
            confirmed.add(channel)
            for (const ready of awaiting.get(channel) ?? []) ready()
            awaiting.delete(channel)
          },
          () => awaiting.delete(channel),
        )
      }
      set.add(listener)
      if (onReady && confirmed.has(channel)) queueMicrotask(onReady)
      else if (onReady) awaiting.set(channel, [...(awaiting.get(channel) ?? []), onReady])
      return () => {
        set.delete(listener)
        if (set.size > 0) return
        listeners.delete(channel)
        confirmed.delete(channel)
        awaiting.delete(channel)
        sub.unsubscribe(channel).catch(() => {})
      }
    },
    quit: async () => {
      await io.quit()
    },
    close: async () => {
      subscriber?.disconnect()
      subscriber = undefined
    },
  }
}

function upstashCommands(up: UpstashLike): RedisCommands {
  return {
    singleServer: false,
    evalsha: (sha, keys, args) => up.evalsha(sha, keys, args),
    eval: (source, keys, args) => up.eval(source, keys, args),
    set: async (key, value, ttlMs, nx) =>
      (await up.set(key, value, nx ? { px: ttlMs, nx: true } : { px: ttlMs })) === 'OK',
    del: async (keys) =>
      keys.length === 0 ? 0 : (await Promise.all(keys.map((k) => up.del(k)))).reduce((a, b) => a + b, 0),
    scan: (match) => scanNode((cursor) => up.scan(cursor, { match, count: PAGE })),
    publish: async (channel, message) => {
      await up.publish(channel, message)
    },
    quit: async () => undefined, // REST: nothing to close
    close: async () => undefined,
  }
}

/** Adapts an ioredis or @upstash/redis client; anything else is an invalid_config. */
export function commandsFor(client: unknown): RedisCommands {
  const c = client as Partial<IoredisLike & UpstashLike> | undefined
  if (c && typeof c.defineCommand === 'function' && typeof c.evalsha === 'function')
    return ioredisCommands(c as IoredisLike)
  if (c && typeof c.pipeline === 'function' && typeof c.evalsha === 'function')
    return upstashCommands(c as UpstashLike)
  throw new SluiceError(
    'invalid_config',
    'redisStore: client: expected an ioredis or @upstash/redis client',
    {
      path: 'redisStore.client',
    },
  )
}

import type { Pool, PoolClient } from 'pg'

const RETRY_MS = 1_000
/** A listening connection nobody has listened on for this long goes back to the pool. */
const IDLE_MS = 5_000

/**
 * Pushes between instances with LISTEN/NOTIFY: one channel per schema, carrying the core's
 * channel and message. The listening connection is taken from the pool on the first subscribe,
 * reconnects by itself after a fault (pushes are a speed-up: followers poll as a backstop), and
 * goes back to the pool when nobody has listened for a few seconds, or on close().
 */
export function postgresNotify(pool: Pool, pgChannel: string) {
  const listeners = new Map<string, Set<(message: string) => void>>()
  // Called after each LISTEN took hold (the first and every reconnect): what was sent while
  // nobody listened is missed, so subscribers check again.
  const readies = new Set<() => void>()
  let client: PoolClient | undefined
  let connecting: Promise<void> | undefined
  let closed = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let idle: ReturnType<typeof setTimeout> | undefined

  const letGo = () => {
    if (!client) return
    const c = client
    client = undefined
    c.release(true) // a listening connection is not returned for reuse
  }

  const dispatch = (payload: string | undefined) => {
    if (!payload) return
    const at = payload.indexOf('\n')
    if (at < 0) return
    for (const l of [...(listeners.get(payload.slice(0, at)) ?? [])]) l(payload.slice(at + 1))
  }

  const drop = (c: PoolClient, error?: Error) => {
    if (client !== c) return
    client = undefined
    c.release(error ?? true) // a listening connection is not returned for reuse
    if (!closed && listeners.size > 0) {
      retry = setTimeout(() => void listen(), RETRY_MS)
      retry.unref?.()
    }
  }

  /** Connects and listens; never rejects (a failure retries after RETRY_MS), so callers need not await it. */
  function listen(): Promise<void> {
    connecting ??= (async () => {
      const c = await pool.connect()
      c.on('notification', (n) => dispatch(n.payload))
      c.on('error', (error) => drop(c, error))
      c.on('end', () => drop(c))
      try {
        await c.query(`LISTEN ${pgChannel}`)
      } catch (error) {
        c.release(true) // not listening: the connection goes, it is not kept out of the pool
        throw error
      }
      if (closed) return c.release(true)
      client = c
      for (const ready of [...readies]) ready()
    })()
      .catch(() => {
        if (!closed) {
          retry = setTimeout(() => void listen(), RETRY_MS)
          retry.unref?.()
        }
      })
      .finally(() => {
        connecting = undefined
      })
    return connecting
  }

  return {
    /** NOTIFY through any pool connection (a plain statement). */
    payload: (channel: string, message: string) => `${channel}\n${message}`,
    subscribe(channel: string, listener: (message: string) => void, onReady?: () => void): () => void {
      let set = listeners.get(channel)
      if (!set) {
        set = new Set()
        listeners.set(channel, set)
      }
      set.add(listener)
      if (idle) clearTimeout(idle)
      idle = undefined
      const ready = onReady && (() => onReady())
      if (ready) {
        readies.add(ready)
        if (client) queueMicrotask(ready)
      }
      if (!client && !connecting) void listen()
      return () => {
        if (ready) readies.delete(ready)
        set.delete(listener)
        if (set.size === 0) listeners.delete(channel)
        if (listeners.size === 0 && !idle) {
          idle = setTimeout(() => {
            idle = undefined
            if (listeners.size === 0) letGo()
          }, IDLE_MS)
          idle.unref?.()
        }
      }
    },
    close(): void {
      closed = true
      if (retry) clearTimeout(retry)
      if (idle) clearTimeout(idle)
      letGo()
    },
  }
}

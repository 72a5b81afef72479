import { createSluice, deepseek, RateLimiter } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowedOf, timed, until, watchProcess } from '../../../scripts/fault-helpers'
import { type OwnPostgres, startOwnPostgres } from '../../../scripts/own-postgres'
import { checkSluiceThroughOutage } from '../../../scripts/sluice-outage'
import { postgresStore } from '../src'

// Faults on a PostgreSQL server this file starts itself (initdb in a temporary directory, its own
// port): restarted, frozen (SIGSTOP to every process), killed (SIGKILL) and started again.

const TIMEOUT = 500
// A call that hangs instead of failing would take the whole freeze (seconds); this is generous.
const DEADLINE = TIMEOUT + 1_500

let own: OwnPostgres
const watch = watchProcess()
const { unhandled, crashes } = watch
beforeAll(async () => {
  watch.start()
  own = await startOwnPostgres()
}, 60_000)
afterAll(async () => {
  await own?.stop()
  watch.stop()
})

const limits = { ask: { limit: 5, window: '1m' as const, algorithm: 'fixed-window' as const } }

describe('postgresStore when its server restarts, freezes and dies', () => {
  it('no crash, no call past the store timeout, the policy followed, exact again after recovery', async () => {
    // The store makes its own pool from a connection string: the case that used to crash.
    const store = postgresStore({ connectionString: own.url, schema: 'faults', timeout: TIMEOUT })
    await store.ready()
    const open = new RateLimiter({ store, limits, onStoreError: 'open' })
    const closed = new RateLimiter({ store, limits, onStoreError: 'closed' })
    const ten = (limiter: RateLimiter, userId: string) =>
      Promise.all(Array.from({ length: 10 }, () => timed(() => limiter.limit({ userId, endpoint: 'ask' }))))
    const recovered = (probe: string) =>
      until(
        async () => (await timed(() => closed.limit({ userId: probe, endpoint: 'ask' }))).value !== undefined,
      )

    expect(allowedOf(await ten(closed, 'before'))).toBe(5)

    // A restart: the server disconnects every client (idle pool clients emit 'error').
    await own.shutdown()
    const downOpen = await ten(open, 'down')
    const downClosed = await ten(closed, 'down-closed')
    for (const r of [...downOpen, ...downClosed]) expect(r.ms).toBeLessThan(DEADLINE)
    expect(allowedOf(downOpen)).toBe(5) // open: the in-process insurance admits, and still limits
    expect(downClosed.every((r) => r.error?.code === 'store_unavailable')).toBe(true)
    await own.start()
    await recovered('probe-1')
    expect(allowedOf(await ten(closed, 'after-restart'))).toBe(5)

    own.freeze()
    const frozenOpen = await ten(open, 'frozen')
    const frozenClosed = await ten(closed, 'frozen-closed')
    for (const r of [...frozenOpen, ...frozenClosed]) expect(r.ms).toBeLessThan(DEADLINE)
    expect(allowedOf(frozenOpen)).toBe(5)
    expect(frozenClosed.map((r) => r.error?.code)).toEqual(frozenClosed.map(() => 'store_unavailable'))
    await new Promise((r) => setTimeout(r, 1_500)) // frozen well past the calls' deadlines
    own.thaw()
    await recovered('probe-2')
    expect(allowedOf(await ten(closed, 'after-freeze'))).toBe(5)

    await own.kill()
    const deadClosed = await ten(closed, 'dead-closed')
    for (const r of deadClosed) expect(r.ms).toBeLessThan(DEADLINE)
    expect(deadClosed.every((r) => r.error?.code === 'store_unavailable')).toBe(true)
    await own.start() // crash recovery
    await recovered('probe-3')
    expect(allowedOf(await ten(closed, 'after-kill'))).toBe(5)

    // What timed out while frozen or dead never took effect later.
    const raw = new pg.Client({ connectionString: own.url })
    await raw.connect()
    const { rows } = await raw.query(
      `SELECT key FROM faults.rate_limits WHERE key LIKE '%frozen%' OR key LIKE '%dead%' OR key LIKE '%down%'`,
    )
    expect(rows).toEqual([])
    await raw.end()
    await store.close()
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 120_000)

  it('a pool the app passes in without an error listener survives a restart too', async () => {
    const pool = new pg.Pool({ connectionString: own.url, max: 4 })
    const store = postgresStore({ pool, schema: 'faults_user_pool', timeout: TIMEOUT })
    await store.ready()
    const limiter = new RateLimiter({ store, limits, onStoreError: 'closed' })
    expect((await limiter.limit({ userId: 'u', endpoint: 'ask' })).allowed).toBe(true)
    expect(pool.listenerCount('error')).toBe(1) // the store's
    await own.shutdown()
    await own.start()
    await until(
      async () => (await timed(() => limiter.limit({ userId: 'v', endpoint: 'ask' }))).value !== undefined,
    )
    await pool.end()
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 60_000)

  it('createSluice under load while the store dies and returns: each port follows its policy, then it recovers', async () => {
    const store = postgresStore({ connectionString: own.url, schema: 'outage', timeout: TIMEOUT })
    await store.ready()
    await checkSluiceThroughOutage(
      expect,
      { createSluice, deepseek, startSimulator },
      {
        store,
        timeoutMs: TIMEOUT,
        down: () => own.kill(),
        up: () => own.start(),
      },
    )
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 60_000)
})

import { createSluice, deepseek, RateLimiter } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { Redis as Upstash } from '@upstash/redis'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { allowedOf, timed, until, watchProcess } from '../../../scripts/fault-helpers'
import { type OwnRedis, startOwnRedis } from '../../../scripts/own-redis'
import { scanKeys } from '../../../scripts/redis-keys'
import { checkSluiceThroughOutage } from '../../../scripts/sluice-outage'
import { redisStore } from '../src'
import { startUpstashBridge } from './upstash-rest-bridge'

// Faults on a Redis server this file starts on a port of its own: frozen (SIGSTOP), killed
// (SIGKILL) and started again. The shared server is never touched.

const TIMEOUT = 300
// A call that hangs instead of failing would take the whole freeze (seconds); this is generous.
const DEADLINE = TIMEOUT + 1_500

let own: OwnRedis
const watch = watchProcess()
const { unhandled, crashes } = watch
beforeAll(async () => {
  watch.start()
  own = await startOwnRedis()
})
afterAll(async () => {
  await own?.stop()
  watch.stop()
})

const limits = { ask: { limit: 5, window: '1m' as const, algorithm: 'fixed-window' as const } }

describe('redisStore when its server freezes, dies and comes back', () => {
  it('no crash, no call past the store timeout, the policy followed, exact again after recovery', async () => {
    const client = new Redis(own.url) // an app's client, with ioredis defaults
    client.on('error', () => {}) // the app's own listener; ioredis reports reconnects here
    const store = redisStore({ client, prefix: 'faults', timeout: TIMEOUT })
    const open = new RateLimiter({ store, limits, onStoreError: 'open' })
    const closed = new RateLimiter({ store, limits, onStoreError: 'closed' })
    const ten = (limiter: RateLimiter, userId: string) =>
      Promise.all(Array.from({ length: 10 }, () => timed(() => limiter.limit({ userId, endpoint: 'ask' }))))

    expect(allowedOf(await ten(closed, 'before'))).toBe(5)

    own.freeze()
    const frozenOpen = await ten(open, 'frozen')
    const frozenClosed = await ten(closed, 'frozen-closed')
    for (const r of [...frozenOpen, ...frozenClosed]) expect(r.ms).toBeLessThan(DEADLINE)
    // open: the in-process insurance admits and still limits; closed: store_unavailable.
    expect(allowedOf(frozenOpen)).toBe(5)
    expect(frozenClosed.every((r) => r.error?.code === 'store_unavailable')).toBe(true)
    await new Promise((r) => setTimeout(r, 1_500)) // frozen well past the calls' deadlines
    own.thaw()
    await until(
      async () =>
        (await timed(() => closed.limit({ userId: 'probe-1', endpoint: 'ask' }))).value !== undefined,
    )
    expect(allowedOf(await ten(closed, 'after-freeze'))).toBe(5)
    const spy = new Redis(own.url)
    expect(await scanKeys(spy, 'faults:*frozen*')).toEqual([])
    await spy.quit()

    await own.kill()
    const deadOpen = await ten(open, 'dead')
    const deadClosed = await ten(closed, 'dead-closed')
    for (const r of [...deadOpen, ...deadClosed]) expect(r.ms).toBeLessThan(DEADLINE)
    expect(allowedOf(deadOpen)).toBe(5)
    expect(deadClosed.every((r) => r.error?.code === 'store_unavailable')).toBe(true)

    await own.restart()
    await until(
      async () =>
        (await timed(() => closed.limit({ userId: 'probe-2', endpoint: 'ask' }))).value !== undefined,
    )
    expect(allowedOf(await ten(closed, 'after-restart'))).toBe(5)
    // Calls refused while the connection was down were not queued and replayed on reconnect.
    // Calls that timed out did not take effect later: not replayed by ioredis after the restart,
    // not run by the server when it woke (the script refuses a call past its deadline).
    const raw = new Redis(own.url)
    expect(await scanKeys(raw, 'faults:*dead*')).toEqual([])
    await raw.quit()
    await client.quit()
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 60_000)

  it('through @upstash/redis (REST) a frozen server also fails at the timeout, and recovers', async () => {
    const bridge = await startUpstashBridge(own.url, 'token')
    const upstash = new Upstash({ url: bridge.url, token: 'token', enableTelemetry: false, retry: false })
    const closed = new RateLimiter({
      store: redisStore({ client: upstash, prefix: 'faults-rest', timeout: TIMEOUT }),
      limits,
      onStoreError: 'closed',
    })
    expect((await closed.limit({ userId: 'u', endpoint: 'ask' })).allowed).toBe(true)
    own.freeze()
    const frozen = await timed(() => closed.limit({ userId: 'u', endpoint: 'ask' }))
    expect(frozen.error?.code).toBe('store_unavailable')
    expect(frozen.ms).toBeLessThan(DEADLINE)
    own.thaw()
    await until(
      async () => (await timed(() => closed.limit({ userId: 'v', endpoint: 'ask' }))).value !== undefined,
    )
    await bridge.close()
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 30_000)

  it('reloads its scripts after SCRIPT FLUSH (EVALSHA falls back to EVAL)', async () => {
    const client = new Redis(own.url)
    const store = redisStore({ client, prefix: 'flush' })
    const rule = { algorithm: 'fixed-window' as const, limit: 2, windowMs: 60_000 }
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    await client.script('FLUSH') // only on this test's own server
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(false)
    await client.quit()
  })

  it('reloads its scripts after SCRIPT FLUSH through the REST client too', async () => {
    const bridge = await startUpstashBridge(own.url, 'token')
    const upstash = new Upstash({ url: bridge.url, token: 'token', enableTelemetry: false })
    const store = redisStore({ client: upstash, prefix: 'flush-rest' })
    const rule = { algorithm: 'token-bucket' as const, limit: 2, windowMs: 60_000 }
    const io = new Redis(own.url)
    await io.script('FLUSH') // only on this test's own server
    await io.quit()
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(true)
    expect((await store.rateLimit!.consume('k', 1, rule)).allowed).toBe(false)
    await bridge.close()
  })

  it('createSluice under load while the store dies and returns: each port follows its policy, then it recovers', async () => {
    const client = new Redis(own.url)
    client.on('error', () => {})
    const store = redisStore({ client, prefix: 'outage', timeout: TIMEOUT })
    await checkSluiceThroughOutage(
      expect,
      { createSluice, deepseek, startSimulator },
      {
        store,
        timeoutMs: TIMEOUT,
        down: () => own.kill(),
        up: () => own.restart(),
      },
    )
    await client.quit()
    expect(crashes).toEqual([])
    expect(unhandled).toEqual([])
  }, 60_000)
})

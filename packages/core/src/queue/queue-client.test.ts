import { describe, expect, it } from 'vitest'
import { SluiceError } from '../errors/sluice-error'
import { memoryStore } from '../memory/memory-store'
import { QueueClient } from './queue-client'

const fast = { pollInterval: 20, backoff: 10, lease: 1000 }

describe('QueueClient', () => {
  it('runs jobs by priority and pushes results to waiters', async () => {
    const queue = new QueueClient({ ...fast, store: memoryStore() })
    const order: string[] = []
    const low = await queue.enqueue({
      type: 'translate',
      userId: 'u1',
      data: { text: 'low' },
      priority: 'low',
    })
    const high = await queue.enqueue({ type: 'translate', userId: 'u2', data: { text: 'high' }, priority: 1 })
    const normal = await queue.enqueue({ type: 'translate', userId: 'u3', data: { text: 'normal' } })
    expect((await queue.status(high.id, { userId: 'u2' })).position).toBe(1)
    expect((await queue.status(low.id, { userId: 'u1' })).position).toBe(3)
    const worker = queue.process<{ text: string }, string>(
      'translate',
      async (job) => {
        order.push(job.data.text)
        return job.data.text.toUpperCase()
      },
      { concurrency: 1 },
    )
    expect(await queue.wait(low.id, { userId: 'u1' })).toBe('LOW')
    expect(await queue.wait(normal.id, { userId: 'u3' })).toBe('NORMAL')
    expect(order).toEqual(['high', 'normal', 'low'])
    const done = await queue.status(high.id, { userId: 'u2' })
    expect(done).toMatchObject({ status: 'completed', result: 'HIGH', position: 0, attempts: 1 })
    await worker.stop()
  })

  it("an instance without workers gives a job's ETA from the rate the fleet's workers run them", async () => {
    const store = memoryStore()
    const app = new QueueClient({ ...fast, store, maxPendingPerUser: 10_000 }) // no workers here
    const workers = new QueueClient({ ...fast, store })
    const ids: string[] = []
    for (let i = 0; i < 600; i++)
      ids.push((await app.enqueue({ type: 'eta', userId: `u${i % 30}`, data: i })).id)
    // Two jobs at a time, 10 ms each: about 200 jobs a second.
    const w = workers.process('eta', () => new Promise((r) => setTimeout(r, 10)), {
      concurrency: 2,
      batchSize: 2,
    })
    await new Promise((r) => setTimeout(r, 1_500)) // it ran for a while; its counts were written
    const last = await app.status(ids.at(-1)!, { userId: 'u29' })
    expect(last.status).toBe('pending')
    expect(last.position).toBeGreaterThan(50)
    // Its place over the measured rate: within a few times 5 ms a job (this process's own
    // default, a second a job with one slot, would say hundreds of seconds).
    expect(last.estimatedWaitMs).toBeGreaterThan(last.position * 1)
    expect(last.estimatedWaitMs).toBeLessThan(last.position * 40)
    await w.stop()
    await Promise.all([app.close(), workers.close()])
  })

  it('status checks ownership and rejects bad ids', async () => {
    const queue = new QueueClient(fast)
    const { id } = await queue.enqueue({ type: 't', userId: 'ana', data: 1 })
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    await expect(queue.status(id, { userId: 'eve' })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(queue.status('../../etc', { userId: 'ana' })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'id',
    })
    await expect(queue.status(crypto.randomUUID(), { userId: 'ana' })).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  it('retries with backoff, then fails for good; the waiter gets the error', async () => {
    const queue = new QueueClient(fast)
    let attempts = 0
    const { id } = await queue.enqueue({ type: 'flaky', userId: 'u', data: null, maxRetries: 2 })
    const worker = queue.process('flaky', async () => {
      attempts++
      throw new Error(`boom ${attempts}`)
    })
    await expect(queue.wait(id, { userId: 'u' })).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringContaining('boom 3'),
    })
    expect(attempts).toBe(3)
    expect((await queue.status(id, { userId: 'u' })).status).toBe('failed')
    await worker.stop()
  })

  it("a handler's SluiceError reaches the waiter whole; status shows its message and code", async () => {
    const queue = new QueueClient(fast)
    const { id } = await queue.enqueue({ type: 'over', userId: 'u', data: null, maxRetries: 0 })
    const worker = queue.process('over', async () => {
      throw new SluiceError('budget_exceeded', 'budget: the daily budget of $1 is spent', {
        retryAfterMs: 3_600_000,
        details: { period: 'day', limitUsd: 1 },
      })
    })
    const error = await queue.wait(id, { userId: 'u' }).catch((e: unknown) => e)
    expect(SluiceError.is(error, 'budget_exceeded')).toBe(true)
    expect(error).toMatchObject({
      message: 'budget: the daily budget of $1 is spent',
      retryAfterMs: 3_600_000,
      details: { period: 'day', limitUsd: 1, jobId: id, status: 'failed' },
    })
    expect(await queue.status(id, { userId: 'u' })).toMatchObject({
      status: 'failed',
      error: 'budget: the daily budget of $1 is spent',
      errorCode: 'budget_exceeded',
    })
    await worker.stop()
  })

  it('a job that fails once and then succeeds completes', async () => {
    const queue = new QueueClient(fast)
    const { id } = await queue.enqueue({ type: 'once', userId: 'u', data: null })
    const worker = queue.process('once', async (job) => {
      if (job.attempt === 1) throw new Error('first try fails')
      return 'ok'
    })
    expect(await queue.wait(id, { userId: 'u' })).toBe('ok')
    await worker.stop()
  })

  it('expires jobs nobody ran, and wait() times out with queue_timeout', async () => {
    const queue = new QueueClient(fast)
    const { id } = await queue.enqueue({ type: 'nobody', userId: 'u', data: null, expireAfter: 50 })
    await expect(queue.wait(id, { userId: 'u', timeout: 20 })).rejects.toMatchObject({
      code: 'queue_timeout',
    })
    await new Promise((r) => setTimeout(r, 60))
    expect((await queue.status(id, { userId: 'u' })).status).toBe('expired')
    await expect(queue.wait(id, { anyUser: true })).rejects.toMatchObject({
      code: 'queue_timeout',
      details: { status: 'expired' },
    })
  })

  it('cancels pending jobs; counts add up', async () => {
    const queue = new QueueClient(fast)
    const a = await queue.enqueue({ type: 'c', userId: 'u', data: null })
    await queue.enqueue({ type: 'c', userId: 'u', data: null })
    expect(await queue.cancel(a.id, { userId: 'u' })).toBe(true)
    expect(await queue.cancel(a.id, { anyUser: true })).toBe(false)
    expect(await queue.counts('c')).toMatchObject({ pending: 1, cancelled: 1 })
  })

  it('respects worker concurrency exactly and runs every job once', async () => {
    const queue = new QueueClient({ ...fast, batchSize: 50 })
    let running = 0
    let peak = 0
    const seen = new Map<number, number>()
    const ids = await Promise.all(
      Array.from({ length: 60 }, (_, i) => queue.enqueue({ type: 'p', userId: `u${i % 7}`, data: i })),
    )
    const worker = queue.process<number, number>(
      'p',
      async (job) => {
        running++
        peak = Math.max(peak, running)
        seen.set(job.data, (seen.get(job.data) ?? 0) + 1)
        await new Promise((r) => setTimeout(r, 5))
        running--
        return job.data
      },
      { concurrency: 4 },
    )
    const results = await Promise.all(ids.map(({ id }) => queue.wait<number>(id, { anyUser: true })))
    expect(results).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(peak).toBe(4)
    expect([...seen.values()].every((n) => n === 1)).toBe(true)
    await worker.stop()
  })

  it('rejects bad jobs with invalid_request naming the field', async () => {
    const queue = new QueueClient(fast)
    await expect(queue.enqueue({ type: 't', userId: 'u', data: null, priority: 11 })).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'job.priority',
    })
    await expect(
      queue.enqueue({ type: 't', userId: 'u', data: null, priority: 'urgent' }),
    ).rejects.toMatchObject({ code: 'invalid_request', path: 'job.priority' })
    await expect(queue.enqueue({ type: '', userId: 'u', data: null })).rejects.toMatchObject({
      path: 'job.type',
    })
    const circular: Record<string, unknown> = {}
    circular.self = circular
    await expect(queue.enqueue({ type: 't', userId: 'u', data: circular })).rejects.toMatchObject({
      path: 'job.data',
    })
    expect((await queue.counts()).pending).toBe(0)
  })

  it('stop() returns within its grace period when a handler ignores its signal, naming the job', async () => {
    const queue = new QueueClient({ ...fast, lease: 300 })
    const { id } = await queue.enqueue({ type: 'stuck', userId: 'u', data: null })
    let started!: () => void
    const running = new Promise<void>((r) => {
      started = r
    })
    const worker = queue.process('stuck', () => {
      started()
      return new Promise(() => {}) // never settles and never looks at its signal
    })
    await running
    const outcome = await Promise.race([
      worker.stop(100),
      new Promise((r) => setTimeout(() => r('still waiting'), 5_000)),
    ])
    expect(outcome).toEqual({ abandoned: [id] })
    // Its lease is no longer renewed: another worker picks the job up and finishes it.
    const rescue = queue.process('stuck', async () => 'rescued')
    expect(await queue.wait(id, { userId: 'u', timeout: 5_000 })).toBe('rescued')
    expect((await queue.status(id, { userId: 'u' })).attempts).toBe(2)
    expect(await rescue.stop()).toEqual({ abandoned: [] })
  })

  it('stop() called while a claim is in flight returns when the claim does, not a poll later', async () => {
    const store = memoryStore()
    const port = store.queue!
    const slow = {
      ...port,
      claim: async (o: Parameters<typeof port.claim>[0]) => {
        await new Promise((r) => setTimeout(r, 200))
        return port.claim(o)
      },
    }
    const queue = new QueueClient({ pollInterval: '10m', store: { ...store, queue: slow } })
    const worker = queue.process('slow', async () => null)
    await new Promise((r) => setTimeout(r, 50)) // the first claim is on its way
    const outcome = await Promise.race([
      worker.stop(),
      new Promise((r) => setTimeout(() => r('still waiting'), 5_000)),
    ])
    expect(outcome).toEqual({ abandoned: [] })
  })

  it('jobs claimed ahead keep their leases while they wait for a slot: each runs once', async () => {
    const queue = new QueueClient({ ...fast, lease: 300 })
    const runs = new Map<number, number>()
    const worker = queue.process<number>(
      'ahead',
      async ({ data, signal }) => {
        runs.set(data, (runs.get(data) ?? 0) + 1)
        // Warm-up jobs are quick (so the worker claims ahead); job 100 holds the one slot for
        // longer than a lease while the jobs claimed with it wait.
        if (data === 100) await new Promise((r) => setTimeout(r, 700))
        if (signal.aborted) throw new Error('aborted')
        return data
      },
      { concurrency: 1, batchSize: 4 },
    )
    for (let i = 0; i < 5; i++) {
      const { id } = await queue.enqueue({ type: 'ahead', userId: 'u', data: i })
      await queue.wait(id, { userId: 'u', timeout: 5_000 })
    }
    const ids = []
    for (const data of [100, 101, 102, 103]) {
      ids.push((await queue.enqueue({ type: 'ahead', userId: 'u', data })).id)
    }
    for (const id of ids) await queue.wait(id, { userId: 'u', timeout: 10_000 })
    for (const id of ids) expect((await queue.status(id, { userId: 'u' })).attempts).toBe(1)
    expect([100, 101, 102, 103].map((d) => runs.get(d))).toEqual([1, 1, 1, 1])
    await worker.stop()
  })

  it('a job that failed is run again when its backoff ends, not a poll later', async () => {
    // A store that pushes nothing (as over a REST client): only the worker itself can know.
    const store = memoryStore()
    const silent = { ...store.queue!, wakesWorkers: false, onAvailable: () => () => {} }
    const queue = new QueueClient({ pollInterval: '10m', backoff: 100, store: { ...store, queue: silent } })
    let runs = 0
    const { id } = await queue.enqueue({ type: 'flaky-job', userId: 'u', data: 1 }) // before the worker's first look
    const worker = queue.process<number>('flaky-job', async ({ data }) => {
      if (++runs === 1) throw new Error('first run fails')
      return data + 1
    })
    expect(await queue.wait(id, { userId: 'u', timeout: 5_000 })).toBe(2)
    expect(runs).toBe(2)
    await worker.stop()
  })

  it('after a failed claim the worker retries within seconds, however long its poll interval', async () => {
    const store = memoryStore()
    const port = store.queue!
    let failing = 2
    const flaky = {
      ...port,
      claim: async (o: Parameters<typeof port.claim>[0]) => {
        if (failing-- > 0) throw new Error('store unreachable')
        return port.claim(o)
      },
    }
    const queue = new QueueClient({ pollInterval: '10m', store: { ...store, queue: flaky } })
    const { id } = await queue.enqueue({ type: 'flaky', userId: 'u', data: 2 })
    const worker = queue.process<number>('flaky', async ({ data }) => data * 3)
    expect(await queue.wait(id, { userId: 'u', timeout: 5_000 })).toBe(6)
    await worker.stop()
  })

  it('a handler whose lease cannot be renewed is aborted before the lease runs out, and fails nothing', async () => {
    const store = memoryStore()
    const port = store.queue!
    const calls: string[] = []
    const cut = {
      ...port,
      extendLease: async () => {
        throw new Error('store unreachable')
      },
      fail: async (...args: Parameters<typeof port.fail>) => {
        calls.push('fail')
        return port.fail(...args)
      },
    }
    const queue = new QueueClient({ ...fast, lease: 300, store: { ...store, queue: cut } })
    const { id } = await queue.enqueue({ type: 'cut', userId: 'u', data: null })
    const started = Date.now()
    let abortedAfter = -1
    const worker = queue.process('cut', ({ signal }) => {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          abortedAfter = Date.now() - started
          reject(new Error('aborted'))
        })
      })
    })
    for (let i = 0; i < 100 && abortedAfter < 0; i++) await new Promise((r) => setTimeout(r, 20))
    await worker.stop()
    expect(abortedAfter).toBeGreaterThan(0)
    expect(calls).toEqual([]) // the job is not failed: it runs again once the lease lapses
    expect((await port.get(id))?.status).toBe('active')
  })

  it("caps one user's unfinished jobs, so 100,000 of them cannot block anyone else's enqueue", async () => {
    const queue = new QueueClient({
      ...fast,
      store: memoryStore({ maxJobs: 2_000 }),
      maxPendingPerUser: 1_000,
    })
    let refused = 0
    for (let i = 0; i < 100_000 && refused === 0; i++) {
      await queue.enqueue({ type: 't', userId: 'heavy', data: i }).catch((e) => {
        expect(e).toMatchObject({ code: 'rate_limited', details: { reason: 'queue_full' } })
        refused++
      })
    }
    expect((await queue.counts('t')).pending).toBe(1_000)
    for (let u = 0; u < 10; u++) await queue.enqueue({ type: 't', userId: `light-${u}`, data: u })
    expect((await queue.counts('t')).pending).toBe(1_010)
    // Finishing the heavy user's jobs gives them room again.
    const worker = queue.process('t', async () => null, { concurrency: 50 })
    for (let i = 0; i < 200 && (await queue.counts('t')).pending > 0; i++)
      await new Promise((r) => setTimeout(r, 20))
    await worker.stop()
    await queue.enqueue({ type: 't', userId: 'heavy', data: 'again' })
  })
})

describe('a worker whose store is slow to record results', () => {
  it('runs the next job while a settle travels, and stop() waits for every settle to land', async () => {
    const store = memoryStore()
    const port = store.queue!
    let landed = 0
    const slowStore = {
      ...store,
      queue: {
        ...port,
        complete: async (id: string, token: string, result: string) => {
          await new Promise((r) => setTimeout(r, 100))
          const ok = await port.complete(id, token, result)
          landed++
          return ok
        },
      },
    }
    const queue = new QueueClient({ ...fast, store: slowStore })
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await queue.enqueue({ type: 't', userId: `u${i}`, data: i })).id)
    const started: number[] = []
    let allStarted!: () => void
    const three = new Promise<void>((r) => {
      allStarted = r
    })
    const worker = queue.process<number>(
      't',
      async ({ data }) => {
        started.push(data)
        if (started.length === 3) allStarted()
      },
      { concurrency: 1 },
    )
    await three
    // All three handlers ran, one at a time, before the first result was recorded.
    expect([...started].sort()).toEqual([0, 1, 2])
    expect(landed).toBe(0)
    expect(await worker.stop()).toEqual({ abandoned: [] })
    expect(landed).toBe(3)
    for (const [i, id] of ids.entries())
      expect(await queue.status(id, { userId: `u${i}` })).toMatchObject({ status: 'completed' })
    await queue.close()
  })
})

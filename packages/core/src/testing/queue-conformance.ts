import { QueueClient } from '../queue/queue-client'
import type { JobRecord, QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'
import { queueBatchConformance } from './queue-batch-conformance'
import { queueClockConformance } from './queue-clock-conformance'
import { queueTakeConformance } from './queue-take-conformance'

let n = 0
function job(patch: Partial<JobRecord> = {}): JobRecord {
  const now = Date.now()
  n++
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    type: 't',
    userId: 'u',
    data: '{}',
    priority: 5,
    status: 'pending',
    attempts: 0,
    maxRetries: 3,
    backoffMs: 10,
    createdAt: now,
    runAt: now,
    expiresAt: now + 60_000,
    score: now,
    ...patch,
  }
}

const claimAll = { type: 't', max: 100, leaseMs: 30_000 }
const noTurn = { turnMs: 0 }

export function queueConformance(
  t: ConformanceApi,
  name: string,
  port: () => Promise<QueuePort>,
  store: (options?: { jobRetentionMs?: number }) => Promise<Store>,
): void {
  t.describe(`${name}: queue port`, () => {
    t.it('claims in score order, ties by id, each job once; position follows the same order', async () => {
      const p = await port()
      const base = Date.now()
      // Scores as a client computes them at `base`; the store moves each onto its clock by the
      // time since, so the line keeps their order.
      const jobs = [
        job({ id: 'c-mid', score: base + 500, createdAt: base, runAt: base }),
        job({ id: 'a-tie', score: base + 100, createdAt: base, runAt: base }),
        job({ id: 'b-tie', score: base + 100, createdAt: base, runAt: base }),
        job({ id: 'd-late', score: base + 900, createdAt: base, runAt: base }),
        job({ id: 'e-first', score: base, createdAt: base, runAt: base }),
      ]
      for (const j of jobs) await p.add(j, noTurn)
      t.expect(await p.position('e-first')).toBe(1)
      t.expect(await p.position('c-mid')).toBe(4)
      const claimed = await p.claim(claimAll)
      t.expect(claimed.map((j) => j.id)).toEqual(['e-first', 'a-tie', 'b-tie', 'c-mid', 'd-late'])
      t.expect(new Set(claimed.map((j) => j.leaseToken)).size).toBe(5)
      t.expect((await p.claim(claimAll)).length).toBe(0)
      t.expect(await p.position('c-mid')).toBe(0) // active: not in line any more
    })

    t.it("a user's turn: each unfinished job they have puts the next one turnMs later in line", async () => {
      const p = await port()
      const base = Date.now()
      for (const id of ['h1', 'h2', 'h3'])
        await p.add(job({ id, userId: 'heavy', score: base, createdAt: base, runAt: base }), { turnMs: 1000 })
      await p.add(job({ id: 'l1', userId: 'light', score: base + 10, createdAt: base, runAt: base }), {
        turnMs: 1000,
      })
      await p.add(job({ id: 'l2', userId: 'light', score: base + 10, createdAt: base, runAt: base }), {
        turnMs: 1000,
      })
      t.expect((await p.claim(claimAll)).map((j) => j.id)).toEqual(['h1', 'l1', 'h2', 'l2', 'h3'])
    })

    t.it('each job is claimed by exactly one of many concurrent workers', async () => {
      const p = await port()
      for (let i = 0; i < 30; i++) await p.add(job(), noTurn)
      const batches = await Promise.all(Array.from({ length: 10 }, () => p.claim({ ...claimAll, max: 5 })))
      const ids = batches.flat().map((j) => j.id)
      t.expect(ids.length).toBe(30)
      t.expect(new Set(ids).size).toBe(30)
    })

    t.it(
      'a lapsed lease makes the job claimable again, and the old token is refused from then on',
      async () => {
        const p = await port()
        const j = job()
        await p.add(j, noTurn)
        const [first] = await p.claim({ ...claimAll, leaseMs: 800 })
        t.expect(first?.attempts).toBe(1)
        t.expect(await p.extendLease(j.id, 'not-the-token', 800)).toBe(false)
        t.expect(await p.extendLease(j.id, first!.leaseToken, 800)).toBe(true) // renewed: still held
        await sleep(500)
        t.expect((await p.claim(claimAll)).length).toBe(0)
        await sleep(500) // now it lapsed
        const [again] = await p.claim(claimAll)
        t.expect(again?.id).toBe(j.id)
        t.expect(again?.attempts).toBe(2)
        t.expect(await p.complete(j.id, first!.leaseToken, '"slow worker"')).toBe(false)
        t.expect(await p.fail(j.id, first!.leaseToken, 'slow worker failed')).toBe(false)
        t.expect(await p.complete(j.id, again!.leaseToken, '"the one that took over"')).toBe(true)
        t.expect((await p.get(j.id))?.result).toBe('"the one that took over"')
      },
      10_000,
    )

    t.it(
      'a delayed job is not claimed before runAt; a retry keeps its place and waits its backoff',
      async () => {
        const p = await port()
        const now = Date.now()
        const later = job({ runAt: now + 700, score: now })
        await p.add(later, noTurn)
        t.expect((await p.claim(claimAll)).length).toBe(0)
        await sleep(800)
        const [due] = await p.claim(claimAll)
        t.expect(due?.id).toBe(later.id)
        t.expect(await p.fail(later.id, due!.leaseToken, 'boom', 400)).toBe(true)
        t.expect((await p.get(later.id))?.status).toBe('pending')
        t.expect((await p.claim(claimAll)).length).toBe(0)
        await sleep(500)
        const [retried] = await p.claim(claimAll)
        t.expect([retried?.id, retried?.attempts, retried?.error]).toEqual([later.id, 2, 'boom'])
      },
      10_000,
    )

    t.it(
      'complete, fail, cancel, expire and counts; finishing is pushed to listeners',
      async () => {
        const p = await port()
        const done = job()
        const failed = job()
        const cancelled = job()
        const expiring = job({ expiresAt: Date.now() + 200 })
        for (const j of [done, failed, cancelled, expiring]) await p.add(j, noTurn)
        const finished: string[] = []
        p.onFinished(done.id, (j) => finished.push(j.status))
        t.expect(await p.cancel(cancelled.id)).toBe(true)
        t.expect(await p.cancel(cancelled.id)).toBe(false)
        await sleep(300)
        t.expect((await p.get(expiring.id))?.status).toBe('expired') // found without a worker
        const claimed = await p.claim(claimAll)
        t.expect(claimed.map((j) => j.id).sort()).toEqual([done.id, failed.id].sort())
        const token = (id: string) => claimed.find((j) => j.id === id)!.leaseToken
        t.expect(await p.cancel(done.id)).toBe(false) // started: too late to cancel
        t.expect(await p.complete(done.id, token(done.id), '"ok"')).toBe(true)
        t.expect(await p.fail(failed.id, token(failed.id), 'for good')).toBe(true)
        const counts = await p.counts('t')
        t.expect([
          counts.completed,
          counts.failed,
          counts.cancelled,
          counts.expired,
          counts.pending,
          counts.active,
        ]).toEqual([1, 1, 1, 1, 0, 0])
        t.expect((await p.get(done.id))?.result).toBe('"ok"')
        t.expect((await p.get(failed.id))?.error).toBe('for good')
        for (let i = 0; i < 40 && finished.length === 0; i++) await sleep(50)
        t.expect(finished).toEqual(['completed'])
      },
      10_000,
    )

    t.it("one user's unfinished jobs are capped atomically, whoever adds them", async () => {
      const p = await port()
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, () =>
          p.add(job({ userId: 'busy' }), { maxPendingPerUser: 10, turnMs: 0 }),
        ),
      )
      t.expect(results.filter((r) => r.status === 'fulfilled').length).toBe(10)
      const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
      t.expect((refused.reason as { code?: string }).code).toBe('rate_limited')
      await p.add(job({ userId: 'someone-else' }), { maxPendingPerUser: 10, turnMs: 0 })
      t.expect((await p.counts('t')).pending).toBe(11)
    })

    t.it(
      'finished jobs are kept for the retention, then removed',
      async () => {
        const p = (await store({ jobRetentionMs: 1_000 })).queue!
        const j = job()
        await p.add(j, noTurn)
        const [c] = await p.claim(claimAll)
        await p.complete(j.id, c!.leaseToken, '"kept a while"')
        t.expect((await p.get(j.id))?.result).toBe('"kept a while"')
        await sleep(1_300)
        await p.claim(claimAll) // any call may do the removal
        t.expect(await p.get(j.id)).toBeUndefined()
      },
      10_000,
    )
  })

  t.describe(`${name}: queue through QueueClient`, () => {
    t.it(
      "fairness: one user's 1,000 jobs do not hold back ten others' 10 each",
      async () => {
        const queue = new QueueClient({ store: await store(), pollInterval: 50, maxPendingPerUser: 2_000 })
        const heavy: string[] = []
        for (let i = 0; i < 1_000; i++)
          heavy.push((await queue.enqueue({ type: 'fair', userId: 'heavy', data: i })).id)
        const light: string[] = []
        for (let u = 0; u < 10; u++)
          for (let i = 0; i < 10; i++)
            light.push((await queue.enqueue({ type: 'fair', userId: `light-${u}`, data: i })).id)
        const order: string[] = []
        const worker = queue.process(
          'fair',
          async (j) => {
            order.push(j.id)
            return null
          },
          { concurrency: 4 },
        )
        const heavy300 = heavy[299]!
        for (let i = 0; i < 400 && !order.includes(heavy300); i++) await sleep(25)
        await worker.stop()
        const at = (id: string) => order.indexOf(id)
        t.expect(at(heavy300)).toBeGreaterThanOrEqual(0)
        t.expect(light.filter((id) => at(id) === -1 || at(id) > at(heavy300)).length).toBe(0)
        await queue.close()
      },
      60_000,
    )

    t.it(
      'cheap hours: a job that asks for them waits for the window, unless it would expire first',
      async () => {
        const soonest = new Date(Date.now() + 3_600_000) // an hour from now, as a UTC 'HH:MM' window
        const hhmm = (d: Date) =>
          `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
        const window = { from: hhmm(soonest), to: hhmm(new Date(soonest.getTime() + 1_800_000)) }
        const queue = new QueueClient({ store: await store(), cheapHours: [window] })
        const waits = await queue.enqueue({
          type: 'cheap',
          userId: 'u',
          data: 1,
          cheapHours: true,
          expireAfter: '3h',
        })
        const urgent = await queue.enqueue({
          type: 'cheap',
          userId: 'u',
          data: 2,
          cheapHours: true,
          expireAfter: '10m',
        })
        const waiting = await queue.status(waits.id, { anyUser: true })
        t.expect(waiting.status).toBe('pending')
        const port = (queue as unknown as { port: QueuePort }).port
        const now = await port.claim({ type: 'cheap', max: 10, leaseMs: 30_000 })
        t.expect(now.map((j) => j.id)).toEqual([urgent.id]) // its deadline comes before the window: it runs now
        const job = await port.get(waits.id)
        t.expect(Math.abs(job!.runAt - Math.floor(soonest.getTime() / 60_000) * 60_000)).toBeLessThan(60_000)
        await queue.close()
      },
    )
  })
  queueBatchConformance(t, name, port, () => store())
  queueClockConformance(t, name, () => store())
  queueTakeConformance(t, name, port, () => store())
}

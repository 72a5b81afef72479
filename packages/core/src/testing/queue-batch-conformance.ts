import { QueueClient } from '../queue/queue-client'
import type { QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'
import { baseName, pendingJob } from './test-job'

/** A pending job of type 'g', in line at `base + at`. */
const grouped = (id: string, at: number, group?: string) =>
  pendingJob('g', id, at, group !== undefined ? { group } : {})

const names = (jobs: { id: string }[]) => jobs.map(baseName)
const byGroup = (max: number) => ({ type: 'g', max, leaseMs: 30_000, byGroup: true })

/** Group claims on the port, and batch handlers through QueueClient. */
export function queueBatchConformance(
  t: ConformanceApi,
  name: string,
  port: () => Promise<QueuePort>,
  store: () => Promise<Store>,
): void {
  t.describe(`${name}: queue groups and batches`, () => {
    t.it(
      'a group claim takes the first job in line and the rest of its group, wherever they stand',
      async () => {
        const p = await port()
        const jobs = [
          grouped('fr1', 0, 'fr'),
          grouped('de1', 1, 'de'),
          grouped('fr2', 2, 'fr'),
          grouped('solo', 3),
          grouped('de2', 4, 'de'),
          grouped('fr3', 5, 'fr'),
          grouped('de3', 6, 'de'),
        ]
        for (const j of jobs) await p.add(j, { turnMs: 0 })
        t.expect(names(await p.claim(byGroup(10)))).toEqual(['fr1', 'fr2', 'fr3'])
        t.expect(names(await p.claim(byGroup(2)))).toEqual(['de1', 'de2']) // at most max
        t.expect(names(await p.claim(byGroup(10)))).toEqual(['solo']) // no group: alone
        t.expect(names(await p.claim(byGroup(10)))).toEqual(['de3'])
        t.expect(await p.claim(byGroup(10))).toEqual([])
      },
    )

    t.it('a group claim skips what left its group another way (a plain claim, a cancel)', async () => {
      const p = await port()
      const jobs = ['a1', 'a2', 'a3', 'a4'].map((id, i) => grouped(id, i, 'a'))
      for (const j of jobs) await p.add(j, { turnMs: 0 })
      const [first] = await p.claim({ type: 'g', max: 1, leaseMs: 30_000 })
      t.expect(names([first!])).toEqual(['a1'])
      t.expect(await p.cancel(jobs[2]!.id)).toBe(true)
      const rest = await p.claim(byGroup(10))
      t.expect(names(rest)).toEqual(['a2', 'a4'])
      t.expect(new Set([first!.leaseToken, ...rest.map((j) => j.leaseToken)]).size).toBe(3)
      t.expect(await p.claim(byGroup(10))).toEqual([])
      t.expect((await p.counts('g')).active).toBe(3)
    })

    t.it('parallel group claims never split a group: each group whole in one claim', async () => {
      const p = await port()
      for (let round = 0; round < 10; round++) {
        const jobs = Array.from({ length: 20 }, (_, i) =>
          grouped(`r${round}-${i % 2 ? 'de' : 'fr'}${i}`, round * 100 + i, `${round}-${i % 2 ? 'de' : 'fr'}`),
        )
        for (const j of jobs) await p.add(j, { turnMs: 0 })
        const claims = await Promise.all(Array.from({ length: 4 }, () => p.claim(byGroup(10))))
        const sizes = claims.map((c) => c.length).sort((a, b) => b - a)
        t.expect(sizes).toEqual([10, 10, 0, 0])
        for (const c of claims.filter((c) => c.length > 0)) {
          const groups = new Set(names(c).map((n) => n.replace(/\d+$/, '')))
          t.expect(groups.size).toBe(1)
        }
      }
    })

    t.it(
      'a batch handler gets one group per claim; each job ends by its own result',
      async () => {
        const queue = new QueueClient({ store: await store(), pollInterval: 50, maxRetries: 0 })
        const ids: { id: string; group: string | undefined; i: number }[] = []
        for (let i = 0; i < 9; i++) {
          const group = i === 8 ? undefined : i % 2 === 0 ? 'even' : 'odd'
          const { id } = await queue.enqueue({
            type: 'batched',
            userId: `u${i % 3}`,
            data: i,
            ...(group ? { group } : {}),
          })
          ids.push({ id, group, i })
        }
        const batches: number[][] = []
        const worker = queue.processBatch<number, number>(
          'batched',
          async (jobs) => {
            batches.push(jobs.map((j) => j.data))
            return jobs.map((j) => (j.data === 3 ? new Error('three is refused') : j.data * 10))
          },
          { concurrency: 2, maxSize: 10, byGroup: true },
        )
        const results = await Promise.allSettled(ids.map(({ id }) => queue.wait(id, { anyUser: true })))
        await worker.stop()
        const sorted = batches
          .map((b) => [...b].sort((x, y) => x - y))
          .sort((x, y) => x.length - y.length || x[0]! - y[0]!)
        t.expect(sorted).toEqual([[8], [0, 2, 4, 6], [1, 3, 5, 7]])
        for (const [k, r] of results.entries()) {
          if (ids[k]!.i === 3) {
            t.expect(r.status).toBe('rejected')
            t.expect(String((r as PromiseRejectedResult).reason).includes('three is refused')).toBe(true)
          } else t.expect(r).toEqual({ status: 'fulfilled', value: ids[k]!.i * 10 })
        }
        t.expect((await queue.counts('batched')).completed).toBe(8)
        await queue.close()
      },
      20_000,
    )

    t.it(
      'a batch handler that throws, or answers the wrong number of results, fails every job of its batch',
      async () => {
        const queue = new QueueClient({ store: await store(), pollInterval: 50, maxRetries: 0 })
        const a = await queue.enqueue({ type: 'short', userId: 'u', data: 1, group: 'x' })
        const b = await queue.enqueue({ type: 'short', userId: 'u', data: 2, group: 'x' })
        const worker = queue.processBatch<number, number>(
          'short',
          async (jobs) => jobs.slice(1).map(() => 0),
          {
            maxSize: 5,
            byGroup: true,
          },
        )
        const results = await Promise.allSettled([a, b].map(({ id }) => queue.wait(id, { anyUser: true })))
        await worker.stop()
        for (const r of results) {
          t.expect(r.status).toBe('rejected')
          t.expect(
            String((r as PromiseRejectedResult).reason).includes('returned 1 results for 2 jobs'),
          ).toBe(true)
        }
        await queue.close()
      },
      20_000,
    )
  })
}

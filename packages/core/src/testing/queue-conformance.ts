import type { JobRecord, QueuePort } from '../store/queue-port'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

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
    ...patch,
  }
}

const claimAll = { type: 't', max: 100, leaseMs: 30_000, agingMs: 3_600_000 }

export function queueConformance(t: ConformanceApi, name: string, port: () => Promise<QueuePort>): void {
  t.describe(`${name}: queue port`, () => {
    t.it('claims by priority, then round-robin between users, then age', async () => {
      const p = await port()
      const base = Date.now()
      await p.add(job({ id: 'low', priority: 9, createdAt: base }))
      await p.add(job({ id: 'a1', userId: 'a', createdAt: base + 1 }))
      await p.add(job({ id: 'a2', userId: 'a', createdAt: base + 2 }))
      await p.add(job({ id: 'a3', userId: 'a', createdAt: base + 3 }))
      await p.add(job({ id: 'b1', userId: 'b', createdAt: base + 4 }))
      await p.add(job({ id: 'high', priority: 1, createdAt: base + 5 }))
      t.expect(await p.position('b1', claimAll.agingMs)).toBe(3)
      const claimed = await p.claim(claimAll)
      t.expect(claimed.map((j) => j.id)).toEqual(['high', 'a1', 'b1', 'a2', 'a3', 'low'])
    })

    t.it('each job is claimed by exactly one of many concurrent workers', async () => {
      const p = await port()
      for (let i = 0; i < 30; i++) await p.add(job())
      const batches = await Promise.all(Array.from({ length: 10 }, () => p.claim({ ...claimAll, max: 5 })))
      const ids = batches.flat().map((j) => j.id)
      t.expect(ids.length).toBe(30)
      t.expect(new Set(ids).size).toBe(30)
    })

    t.it('a lapsed lease makes the job claimable again (a dead worker loses nothing)', async () => {
      const p = await port()
      const j = job()
      await p.add(j)
      const [first] = await p.claim({ ...claimAll, leaseMs: 1000 })
      t.expect(first?.attempts).toBe(1)
      t.expect((await p.claim(claimAll)).length).toBe(0)
      await sleep(1100)
      const [again] = await p.claim(claimAll)
      t.expect(again?.id).toBe(j.id)
      t.expect(again?.attempts).toBe(2)
    })

    t.it('complete, retry, fail, cancel, expire and counts', async () => {
      const p = await port()
      const done = job()
      const retried = job()
      const cancelled = job()
      const expiring = job({ expiresAt: Date.now() + 200 })
      for (const j of [done, retried, cancelled, expiring]) await p.add(j)
      t.expect(await p.cancel(cancelled.id)).toBe(true)
      await sleep(250)
      const claimed = await p.claim(claimAll)
      t.expect(claimed.map((j) => j.id).sort()).toEqual([done.id, retried.id].sort())
      const finished: string[] = []
      p.onFinished(done.id, (j) => finished.push(j.status))
      t.expect(await p.complete(done.id, '"ok"')).toBe(true)
      t.expect(await p.fail(retried.id, 'boom', Date.now() + 100)).toBe(true)
      t.expect((await p.get(done.id))?.result).toBe('"ok"')
      t.expect((await p.get(expiring.id))?.status).toBe('expired')
      t.expect((await p.get(retried.id))?.status).toBe('pending')
      await sleep(150)
      const [re] = await p.claim(claimAll)
      t.expect(re?.id).toBe(retried.id)
      t.expect(await p.fail(retried.id, 'boom again')).toBe(true)
      const counts = await p.counts('t')
      t.expect([counts.completed, counts.failed, counts.cancelled, counts.expired, counts.pending]).toEqual([
        1, 1, 1, 1, 0,
      ])
      await sleep(50)
      t.expect(finished).toEqual(['completed'])
    })
  })
}

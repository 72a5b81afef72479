import { QueueClient } from '../queue/queue-client'
import type { ClaimOptions, QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'
import { baseName, pendingJob } from './test-job'

/** A due job of type 'k', in line at `now + at` (due `runIn` from now). */
const due = (name: string, at = 0, runIn = 0) => {
  const job = pendingJob('k', name, at)
  return { ...job, runAt: job.runAt + runIn, score: job.score + runIn }
}

const claimAll = { type: 'k', max: 100, leaseMs: 30_000 }
const take = (leaseMs = 30_000) => ({ turnMs: 0, take: { leaseMs } })

/** Adds that take their job for the adding instance's idle worker (AddOptions.take). */
export function queueTakeConformance(
  t: ConformanceApi,
  name: string,
  port: () => Promise<QueuePort>,
  store: () => Promise<Store>,
): void {
  t.describe(`${name}: adds that take their job`, () => {
    t.it(
      'a due job with nothing ahead is taken in the add: active, leased, its token settles it',
      async () => {
        const p = await port()
        const taken = await p.add(due('alone'), take())
        t.expect([taken?.status, taken?.attempts, typeof taken?.leaseToken]).toEqual(['active', 1, 'string'])
        t.expect((await p.get(taken!.id))?.status).toBe('active')
        t.expect(await p.claim(claimAll)).toEqual([]) // not in line: nobody else gets it
        t.expect((await p.counts('k')).active).toBe(1)
        t.expect(await p.complete(taken!.id, taken!.leaseToken, '"done"')).toBe(true)
        t.expect((await p.get(taken!.id))?.status).toBe('completed')
      },
    )

    t.it('the job stays in line when a claimable job is ahead of it, or it is not due yet', async () => {
      const p = await port()
      await p.add(due('first'), { turnMs: 0 })
      t.expect(await p.add(due('second', 100), take())).toBeUndefined()
      t.expect(await p.add(due('later', 0, 60_000), take())).toBeUndefined() // not due for a minute
      const claimed = await p.claim(claimAll)
      t.expect(claimed.map(baseName)).toEqual(['first', 'second'])
      // The line is empty again: the next due job is taken.
      t.expect((await p.add(due('next'), take()))?.status).toBe('active')
    })

    t.it('a taken job whose lease lapses is claimed again, and its first token is refused', async () => {
      const p = await port()
      const taken = (await p.add(due('lapses'), take(100)))!
      t.expect(typeof taken.leaseToken).toBe('string')
      let again: { id: string; leaseToken: string }[] = []
      for (let i = 0; i < 100 && again.length === 0; i++) {
        await sleep(50)
        again = await p.claim(claimAll)
      }
      t.expect(again.map((j) => j.id)).toEqual([taken.id])
      t.expect(again[0]!.leaseToken).not.toBe(taken.leaseToken)
      t.expect(await p.complete(taken.id, taken.leaseToken, '"late"')).toBe(false)
      t.expect(await p.complete(taken.id, again[0]!.leaseToken, '"ok"')).toBe(true)
    })

    t.it(
      "an idle worker of the adding QueueClient runs its job without a claim; a busy one's job waits in line",
      async () => {
        const s = await store()
        const inner = s.queue!
        const claims: ClaimOptions[] = []
        const counted: Store = {
          name: s.name,
          queue: {
            ...inner,
            ...(inner.wakesWorkers !== undefined ? { wakesWorkers: inner.wakesWorkers } : {}),
            claim: (options) => {
              claims.push(options)
              return inner.claim(options)
            },
            onAvailable: (type, listener) => inner.onAvailable(type, listener),
            onFinished: (id, listener) => inner.onFinished(id, listener),
          },
        }
        const queue = new QueueClient({ store: counted, pollInterval: '1m' })
        let release!: () => void
        const gate = new Promise<void>((r) => {
          release = r
        })
        const ran: number[] = []
        const worker = queue.process<number>(
          'k',
          async ({ data }) => {
            ran.push(data)
            if (data === 1) await gate
            return data
          },
          { concurrency: 1 },
        )
        await sleep(200) // the worker's first look at the empty line
        const before = claims.length
        const first = await queue.enqueue({ type: 'k', userId: 'u', data: 1 })
        for (let i = 0; i < 100 && ran.length === 0; i++) await sleep(10)
        t.expect(ran).toEqual([1])
        t.expect(claims.length).toBe(before) // handed over in the add, not claimed
        const second = await queue.enqueue({ type: 'k', userId: 'u', data: 2 })
        t.expect((await queue.status(second.id, { anyUser: true })).status).toBe('pending') // the slot is busy
        release()
        t.expect(await queue.wait(first.id, { anyUser: true, timeout: 10_000 })).toBe(1)
        t.expect(await queue.wait(second.id, { anyUser: true, timeout: 10_000 })).toBe(2)
        t.expect(ran).toEqual([1, 2])
        await worker.stop()
        await queue.close()
      },
      20_000,
    )
  })
}

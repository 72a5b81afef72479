import { QueueClient } from '../queue/queue-client'
import type { QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

const TEN_MINUTES = 600_000

/** Instances whose clocks disagree with the store's still queue by the store's clock. */
export function queueClockConformance(t: ConformanceApi, name: string, store: () => Promise<Store>): void {
  t.describe(`${name}: queue times on the store's clock`, () => {
    t.it(
      'an instance whose clock is ten minutes off queues jobs that run and expire by the store',
      async () => {
        const s = await store()
        const behind = new QueueClient({ store: s, now: () => Date.now() - TEN_MINUTES })
        const ahead = new QueueClient({ store: s, now: () => Date.now() + TEN_MINUTES })
        // Behind: with its own clock the job would have expired five minutes ago on arrival.
        const late = await behind.enqueue({ type: 'clock', userId: 'u', data: 1, expireAfter: '5m' })
        // Ahead: a job to run in a minute would look due for nine minutes already.
        const soon = await ahead.enqueue({ type: 'clock', userId: 'u', data: 2, delay: '1m' })
        const port = (behind as unknown as { port: QueuePort }).port
        const claimed = await port.claim({ type: 'clock', max: 10, leaseMs: 30_000 })
        t.expect(claimed.map((j) => j.id)).toEqual([late.id])
        const waiting = await behind.status(soon.id, { anyUser: true })
        t.expect(waiting.status).toBe('pending')
        t.expect(Math.abs(waiting.createdAt - Date.now()) < 60_000).toBe(true) // the store's time
        const job = await port.get(soon.id)
        t.expect(Math.abs(job!.runAt - (Date.now() + 60_000)) < 30_000).toBe(true)
        await behind.close()
        await ahead.close()
      },
    )

    t.it(
      'a worker whose clock is ten minutes off retries a failed job after its backoff, by the store',
      async () => {
        const s = await store()
        for (const [off, side] of [
          [-TEN_MINUTES, 'behind'],
          [TEN_MINUTES, 'ahead'],
        ] as const) {
          const type = `retry-${side}`
          const queue = new QueueClient({ store: s, now: () => Date.now() + off, backoff: 60_000 })
          const port = (queue as unknown as { port: QueuePort }).port
          let runs = 0
          const worker = queue.process(type, async () => {
            runs++
            throw new Error('boom')
          })
          const { id } = await queue.enqueue({ type, userId: 'u', data: side, maxRetries: 1 })
          let back = await port.get(id)
          for (let i = 0; i < 200 && !(back?.status === 'pending' && back.attempts === 1); i++) {
            await sleep(20)
            back = await port.get(id)
          }
          await worker.stop()
          // Behind, a retry due "now + backoff" by the worker's clock would have run again at once;
          // ahead, it would wait ten minutes more.
          t.expect([back?.status, back?.attempts, runs]).toEqual(['pending', 1, 1])
          t.expect(Math.abs(back!.runAt - (Date.now() + 60_000)) < 30_000).toBe(true)
          await queue.close()
        }
      },
      20_000,
    )
  })
}

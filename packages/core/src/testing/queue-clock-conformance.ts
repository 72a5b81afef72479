import { QueueClient } from '../queue/queue-client'
import type { QueuePort } from '../store/queue-port'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'

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
  })
}

import { SluiceError } from '../errors/sluice-error'
import { toHttp } from '../errors/to-http'
import type { ChatCompletion, Provider } from '../providers/types'
import { QueueClient } from '../queue/queue-client'
import { createSluice } from '../sluice/create-sluice'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'

/** A provider that is down: every chat is a 500. */
function downProvider() {
  const provider = {
    name: 'down',
    models: ['m'],
    defaultModel: 'm',
    calls: 0,
    async chat(): Promise<ChatCompletion> {
      provider.calls++
      throw new SluiceError('provider_error', 'down: 500 upstream is down', {
        status: 500,
        retryable: true,
        provider: 'down',
      })
    },
    async *stream() {},
  } satisfies Provider & { calls: number }
  return provider
}

/**
 * Errors cross the queue whole: a waiter on one instance gets the SluiceError the worker on
 * another instance saw — its code, retryAfterMs and details — so `toHttp` answers as it would
 * for the same call made directly.
 */
export function queuedErrorConformance(t: ConformanceApi, name: string, store: () => Promise<Store>): void {
  t.describe(`${name}: errors through the queue`, () => {
    t.it('a queued chat whose circuit is open rejects with circuit_open and its retryAfterMs', async () => {
      const shared = await store()
      const provider = downProvider()
      const options = {
        store: shared,
        providers: [provider],
        retry: { retries: 0 },
        breaker: { failureThreshold: 1, resetTimeout: '60s' as const },
        cache: { enabled: false },
      }
      const waiter = createSluice({ ...options, queue: { worker: false, timeout: '10s' } })
      const worker = createSluice({ ...options, queue: { pollInterval: '50ms' } })
      try {
        const ask = (content: string) =>
          waiter.chat(
            { model: 'm', messages: [{ role: 'user', content }] },
            { userId: 'ana', endpoint: 'ask' },
          )
        // The first fails upstream and opens the circuit (threshold 1); the second never goes up.
        t.expect(SluiceError.is(await ask('one').catch((e: unknown) => e))).toBe(true)
        const second = (await ask('two').catch((e: unknown) => e)) as {
          code?: string
          retryAfterMs?: number
        }
        t.expect(second.code).toBe('circuit_open')
        t.expect(second.retryAfterMs! > 50_000).toBe(true)
        t.expect(second.retryAfterMs! <= 60_000).toBe(true)
        const http = toHttp(second)
        t.expect(http.status).toBe(503)
        t.expect(Number(http.headers['Retry-After']) > 50).toBe(true)
        t.expect(provider.calls).toBe(1) // the open circuit sent nothing more upstream
      } finally {
        await worker.close()
        await waiter.close()
      }
    })

    t.it('a job that expired before it ran rejects its waiter with queue_timeout', async () => {
      const queue = new QueueClient({ store: await store(), pollInterval: '50ms' })
      try {
        const { id } = await queue.enqueue({ type: 'never-run', userId: 'ana', data: {}, expireAfter: 100 })
        const e = (await queue.wait(id, { userId: 'ana', timeout: 5_000 }).catch((x: unknown) => x)) as {
          code?: string
          details?: { status?: string }
        }
        t.expect(e.code).toBe('queue_timeout')
        t.expect(e.details?.status).toBe('expired')
      } finally {
        await queue.close()
      }
    })
  })
}

import { type ToHttpOptions, toHttp } from '../errors/to-http'
import { withCallContext } from '../scope/call-scope'
import type { CallContext } from '../sluice/request-schema'
import { contextOf, type Identify } from './identity'

/** What the helpers use of Hono's context (no type import from Hono). */
export interface HonoContextLike {
  set(key: 'sluice', value: CallContext): void
  get(key: 'sluice'): CallContext | undefined
  json(body: unknown, status?: number, headers?: Record<string, string>): Response
  /** The request; its `signal` aborts when the client goes (where the runtime says so). */
  req?: { raw?: { signal?: AbortSignal } }
}

/**
 * Hono helpers. `context` sets `c.get('sluice')` to the caller's call context (from `identify`,
 * the app's auth), with the request's `signal`, so a client that goes cancels its call, and runs
 * what follows in that call scope (`withCallContext`);
 * `errors` is an `app.onError` handler answering any error through `toHttp()`: its status,
 * `Retry-After` and `X-RateLimit-*` headers and a JSON body.
 *
 * ```ts
 * const http = sluiceHono((c) => ({ userId: c.get('user').id, tier: c.get('user').plan }))
 * app.use(http.context)
 * app.post('/chat', async (c) => c.json(await sluice.chat(await body(c), { ...c.get('sluice'), endpoint: 'chat' })))
 * app.onError(http.errors)
 * ```
 */
export function sluiceHono<C extends HonoContextLike>(identify: Identify<C>, options: ToHttpOptions = {}) {
  return {
    async context(c: C, next: () => Promise<void>): Promise<void> {
      const ctx = await contextOf(identify, c)
      const signal = ctx.signal ?? c.req?.raw?.signal
      const scoped = signal ? { ...ctx, signal } : ctx
      c.set('sluice', scoped)
      await withCallContext(scoped, next) // the drop-in clients' calls find their caller there
    },
    errors(error: unknown, c: C): Response {
      const { status, headers, body } = toHttp(error, options)
      return c.json(body, status, headers)
    },
  }
}

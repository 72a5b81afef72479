import { type ToHttpOptions, toHttp } from '../errors/to-http'
import { withCallContext } from '../scope/call-scope'
import type { CallContext } from '../sluice/request-schema'
import { contextOf, type Identify } from './identity'

/** What the helpers use of Express's request and response (no type import from Express). */
export interface ExpressRequestLike {
  sluice?: CallContext
}
export interface ExpressResponseLike {
  headersSent?: boolean
  /** Set once the response is fully sent; a `close` before that is a client that hung up. */
  writableEnded?: boolean
  once?(event: 'close', listener: () => void): unknown
  status(code: number): this
  set(headers: Record<string, string>): this
  json(body: unknown): unknown
}
type NextLike = (error?: unknown) => void

/** Aborts when the client hangs up before its response is sent: its call is cancelled. */
function hangUpSignal(res: Pick<ExpressResponseLike, 'writableEnded' | 'once'>): AbortSignal {
  const hungUp = new AbortController()
  res.once?.('close', () => {
    if (!res.writableEnded) hungUp.abort()
  })
  return hungUp.signal
}

/**
 * Express helpers. `context` puts the caller's call context on `req.sluice` (from `identify`,
 * the app's auth), with a `signal` that aborts when the client hangs up, and runs the handlers
 * after it in that call scope (`withCallContext`: the drop-in clients' calls find it there); `errors` is the error handler that answers any error through `toHttp()`:
 * its status, `Retry-After` and `X-RateLimit-*` headers and a JSON body.
 *
 * ```ts
 * const http = sluiceExpress((req) => ({ userId: req.user.id, tier: req.user.plan }))
 * app.use(http.context)
 * app.post('/chat', async (req, res) => res.json(await sluice.chat(body(req), { ...req.sluice!, endpoint: 'chat' })))
 * app.use(http.errors)
 * ```
 */
export function sluiceExpress<R extends ExpressRequestLike>(
  identify: Identify<R>,
  options: ToHttpOptions = {},
) {
  return {
    context(req: R, res: Pick<ExpressResponseLike, 'writableEnded' | 'once'>, next: NextLike): void {
      contextOf(identify, req).then(
        (ctx) => {
          const scoped = ctx.signal || !res.once ? ctx : { ...ctx, signal: hangUpSignal(res) }
          req.sluice = scoped
          // The handlers after it run in the call scope: the drop-in clients find the caller there.
          withCallContext(scoped, () => next())
        },
        (error: unknown) => next(error),
      )
    },
    // Four parameters: that is how Express knows an error handler.
    errors(error: unknown, _req: unknown, res: ExpressResponseLike, next: NextLike): void {
      if (res.headersSent) {
        next(error) // a response already started: Express closes it
        return
      }
      const { status, headers, body } = toHttp(error, options)
      res.status(status).set(headers).json(body)
    },
  }
}

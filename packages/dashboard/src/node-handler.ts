import type { IncomingMessage, ServerResponse } from 'node:http'

/**
 * A fetch handler as a node:http handler (and Express middleware): it answers what the handler
 * answers, and passes the rest to `next` (or a 404 without one).
 */
export function toNodeHandler(handle: (request: Request) => Promise<Response | undefined>) {
  return (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`)
    const headers = new Headers()
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v)
    // The client going away aborts the request: a stream of events stops feeding it.
    const gone = new AbortController()
    res.once('close', () => gone.abort())
    handle(new Request(url, { method: req.method ?? 'GET', headers, signal: gone.signal })).then(
      async (response) => {
        if (!response) {
          if (next) return next()
          res.writeHead(404).end()
          return
        }
        const out: Record<string, string> = {}
        response.headers.forEach((value, key) => {
          out[key] = value
        })
        res.writeHead(response.status, out)
        if (!response.body) return void res.end()
        // Chunk by chunk, so server-sent events reach the page as they are sent.
        const reader = response.body.getReader()
        gone.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true })
        try {
          for (;;) {
            const { done, value } = await reader.read()
            if (done) break
            res.write(value)
          }
        } catch {} // the client went away
        res.end()
      },
      (error: unknown) => {
        if (next) return next(error)
        res.writeHead(500).end()
      },
    )
  }
}

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
    handle(new Request(url, { method: req.method ?? 'GET', headers })).then(
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
        res.end(Buffer.from(await response.arrayBuffer()))
      },
      (error: unknown) => {
        if (next) return next(error)
        res.writeHead(500).end()
      },
    )
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http'

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** Reads a request body; past `maxChars` the connection is dropped, as fronting proxies do. */
export function readBody(req: IncomingMessage, maxChars: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      data += chunk
      if (data.length > maxChars) req.destroy(new Error('body too large'))
    })
    req.on('end', () => resolve(data))
    req.on('error', reject)
  })
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

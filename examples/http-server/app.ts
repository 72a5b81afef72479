// The seed's HTTP endpoints on node:http: a direct chat call, an async queue with status polling,
// live stats and Prometheus metrics. Errors go through toHttp(), so clients get the right status,
// Retry-After and X-RateLimit-* headers and a JSON body.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { type QueueClient, type Sluice, SluiceError, toHttp } from '@sluice/core'

export const CHAT_JOB = 'chat'

interface ChatBody {
  message?: unknown
  endpoint?: unknown
  priority?: unknown
}

/** Who is calling. A real app takes this from its session or JWT, never from a client header. */
export type Identify = (req: IncomingMessage) => { userId: string; tier: string }

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

/** A chat body is small: a client that sends more is refused before it is read on. */
const MAX_BODY_BYTES = 64 * 1024

async function readJson(req: IncomingMessage): Promise<ChatBody> {
  let text = ''
  let bytes = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length
    if (bytes > MAX_BODY_BYTES) {
      throw new SluiceError('invalid_request', `body: larger than ${MAX_BODY_BYTES} bytes`, {
        path: 'body',
        status: 413,
      })
    }
    text += chunk
  }
  try {
    return JSON.parse(text || '{}') as ChatBody
  } catch {
    throw new SluiceError('invalid_request', 'body: not JSON', { path: 'body' })
  }
}

function message(body: ChatBody): string {
  if (typeof body.message !== 'string' || body.message.length === 0) {
    throw new SluiceError('invalid_request', 'body.message: expected a non-empty string', {
      path: 'body.message',
    })
  }
  return body.message
}

const request = (content: string) => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user' as const, content }],
})

/** Starts the queue worker that answers queued chats through Sluice (in this or another process). */
export function startChatWorker(sluice: Sluice, queue: QueueClient) {
  return queue.process<{ message: string; endpoint: string; tier: string }, { answer: string | null }>(
    CHAT_JOB,
    async (job) => {
      const res = await sluice.chat(request(job.data.message), {
        userId: job.userId,
        tier: job.data.tier,
        endpoint: job.data.endpoint,
      })
      return { answer: res.choices[0]?.message.content ?? null }
    },
  )
}

export function createHandler(sluice: Sluice, queue: QueueClient, identify: Identify) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const url = new URL(req.url ?? '/', 'http://local')
      const { userId, tier } = identify(req)
      if (req.method === 'POST' && url.pathname === '/api/chat') {
        const body = await readJson(req)
        const endpoint = typeof body.endpoint === 'string' ? body.endpoint : 'default'
        // A client that hangs up cancels its call: nothing more is sent upstream for it.
        const hungUp = new AbortController()
        res.once('close', () => {
          if (!res.writableEnded) hungUp.abort()
        })
        const answer = await sluice.chat(request(message(body)), {
          userId,
          tier,
          endpoint,
          signal: hungUp.signal,
        })
        return send(res, 200, { answer: answer.choices[0]?.message.content, sluice: answer.sluice })
      }
      if (req.method === 'POST' && url.pathname === '/api/chat/queue') {
        const body = await readJson(req)
        const endpoint = typeof body.endpoint === 'string' ? body.endpoint : 'default'
        const priority =
          typeof body.priority === 'number' || typeof body.priority === 'string' ? body.priority : undefined
        const { id } = await queue.enqueue({
          type: CHAT_JOB,
          userId,
          data: { message: message(body), endpoint, tier },
          ...(priority === undefined ? {} : { priority }),
        })
        return send(res, 202, { jobId: id, status: 'queued', statusUrl: `/api/chat/status/${id}` })
      }
      const status = /^\/api\/chat\/status\/([^/]+)$/.exec(url.pathname)
      if (req.method === 'GET' && status) {
        // Ownership is checked: another user's job id answers 403, an unknown one 404.
        return send(res, 200, await queue.status(decodeURIComponent(status[1]!), { userId }))
      }
      if (req.method === 'GET' && url.pathname === '/api/stats') return send(res, 200, await sluice.stats())
      if (req.method === 'GET' && url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        return void res.end(await sluice.prometheus())
      }
      send(res, 404, { error: { code: 'not_found', message: 'no such route' } })
    } catch (error) {
      const http = toHttp(error)
      // A body refused half-read: the connection is closed behind the answer, not read on.
      send(
        res,
        http.status,
        http.body,
        http.status === 413 ? { ...http.headers, connection: 'close' } : http.headers,
      )
    }
  }
}

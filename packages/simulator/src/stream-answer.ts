import type { ServerResponse } from 'node:http'
import { sleep } from './http'

/** Writes an answer as OpenAI-style SSE chunks; `failAfter` cuts the connection mid-answer. */
export async function streamAnswer(
  res: ServerResponse,
  headers: Record<string, string>,
  failAfter: number | undefined,
  a: {
    id: string
    created: number
    model: string
    content: string
    finishReason: 'stop' | 'length'
    usage: Record<string, number>
    includeUsage: boolean
  },
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  })
  const base = { id: a.id, object: 'chat.completion.chunk', created: a.created, model: a.model }
  const pieces = a.content.match(/\S+\s*/g) ?? [a.content]
  const write = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`)
  write({
    ...base,
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
  })
  for (const [i, piece] of pieces.entries()) {
    if (failAfter !== undefined && i >= failAfter) {
      res.destroy() // a connection cut mid-answer
      return
    }
    write({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })
    await sleep(2)
  }
  write({ ...base, choices: [{ index: 0, delta: {}, finish_reason: a.finishReason }] })
  if (a.includeUsage) write({ ...base, choices: [], usage: a.usage })
  res.end('data: [DONE]\n\n')
}

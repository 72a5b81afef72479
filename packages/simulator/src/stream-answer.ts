import type { ServerResponse } from 'node:http'
import { sleep } from './http'

/**
 * Writes an answer as OpenAI-style SSE chunks, a word each (or `chunkChars` characters);
 * `failAfter` cuts the connection mid-answer, and `onCut` hears the text sent until then.
 */
export async function streamAnswer(
  res: ServerResponse,
  headers: Record<string, string>,
  cut: { failAfter?: number | undefined; chunkChars?: number | undefined; onCut?: (sent: string) => void },
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
  const { failAfter, chunkChars } = cut
  const pieces = chunkChars ? piecesOf(a.content, chunkChars) : (a.content.match(/\S+\s*/g) ?? [a.content])
  let sent = ''
  const write = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`)
  write({
    ...base,
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
  })
  for (const [i, piece] of pieces.entries()) {
    if (failAfter !== undefined && i >= failAfter) {
      cut.onCut?.(sent)
      res.destroy() // a connection cut mid-answer
      return
    }
    write({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })
    sent += piece
    await sleep(2)
  }
  write({ ...base, choices: [{ index: 0, delta: {}, finish_reason: a.finishReason }] })
  if (a.includeUsage) write({ ...base, choices: [], usage: a.usage })
  res.end('data: [DONE]\n\n')
}

/** `text` in pieces of `size` UTF-16 code units (a piece may end inside a word or a surrogate pair). */
function piecesOf(text: string, size: number): string[] {
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out.length > 0 ? out : ['']
}

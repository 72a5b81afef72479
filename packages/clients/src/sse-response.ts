import { type ChatChunk, type SluiceMeta, toHttp } from '@sluice/core'
import { errorResponse } from './responses'

const encoder = new TextEncoder()
const event = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`)

/**
 * A Sluice stream as the server-sent events an OpenAI-compatible API answers with. The first
 * chunk is awaited first, so a call refused before it answers with an error status, as an API
 * would; a failure after it is an `error` event (the OpenAI clients throw it), told to `failed`.
 * The usage chunk goes out only when the request asked for it (`stream_options.include_usage`).
 * A client that cancels the body ends the Sluice stream (and its upstream call).
 */
export async function sseResponse(
  stream: AsyncGenerator<ChatChunk, SluiceMeta>,
  includeUsage: boolean,
  failed: (error: unknown) => void,
): Promise<Response> {
  let first: IteratorResult<ChatChunk, SluiceMeta>
  try {
    first = await stream.next()
  } catch (error) {
    failed(error)
    return errorResponse(error)
  }
  const wanted = (chunk: ChatChunk) => includeUsage || chunk.choices.length > 0
  let pending: IteratorResult<ChatChunk, SluiceMeta> | undefined = first
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending ?? (await stream.next())
          pending = undefined
          if (next.done) {
            controller.enqueue(encoder.encode('data: [DONE]\n\n'))
            controller.close()
            return
          }
          if (wanted(next.value)) {
            controller.enqueue(event(next.value))
            return
          }
        }
      } catch (error) {
        failed(error)
        controller.enqueue(event(toHttp(error, { expose: true }).body))
        controller.close()
      }
    },
    async cancel() {
      await stream.return(undefined as never).catch(() => {})
    },
  })
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' },
  })
}

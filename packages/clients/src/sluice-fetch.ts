import { type ChatRequest, type Sluice, SluiceError } from '@sluice/core'
import { type CallerOption, callerOf } from './caller'
import { errorResponse, metaHeaders } from './responses'
import { sseResponse } from './sse-response'

/** The fetch function's signature, as SDKs take it. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

export interface SluiceFetchOptions {
  /** Who is calling when neither the call's headers nor the call scope say (a fixed context, or one per request). */
  caller?: CallerOption
  /** What serves every other request (the SDK's other endpoints): the global `fetch` unless given. */
  fetch?: FetchLike
  /** @internal The wrapped clients hear each call's error whole, by its call id. */
  onError?: (callId: string, error: unknown) => void
}

/** The header a wrapped client's call carries its id in (never sent upstream). */
export const CALL_ID_HEADER = 'x-sluice-call-id'

const isChat = (url: URL, method: string) => method === 'POST' && url.pathname.endsWith('/chat/completions')

/**
 * A `fetch` that serves OpenAI-style chat completions (`POST …/chat/completions`) through a
 * Sluice — limits, budget, cache, single-flight, queue, batching, retries, breakers, fallback,
 * metrics — and answers a real `Response`: JSON, or server-sent events for `stream: true`; an
 * error as the status and JSON body `toHttp` gives. Every other request goes to `options.fetch`.
 * The call goes to the Sluice's providers, whatever host the SDK was pointed at.
 */
export function sluiceFetch(sluice: Sluice, options: SluiceFetchOptions = {}): FetchLike {
  const passThrough: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined
    const url = new URL(request ? request.url : String(input))
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    if (!isChat(url, method)) return passThrough(input, init)
    const headers = new Headers(init?.headers ?? request?.headers)
    const callId = headers.get(CALL_ID_HEADER) ?? undefined
    const failed = (error: unknown) => {
      if (callId !== undefined) options.onError?.(callId, error)
    }
    try {
      const body = await bodyOf(init, request)
      const { stream, stream_options, ...chat } = body
      const ctx = callerOf(headers, body, options.caller, init?.signal ?? request?.signal ?? undefined)
      if (stream === true) {
        const includeUsage =
          (stream_options as { include_usage?: unknown } | undefined)?.include_usage === true
        return await sseResponse(sluice.stream(chat as ChatRequest, ctx), includeUsage, failed)
      }
      const res = await sluice.chat(chat as ChatRequest, ctx)
      return new Response(JSON.stringify(res), {
        status: 200,
        headers: { 'content-type': 'application/json', ...metaHeaders(res.sluice) },
      })
    } catch (error) {
      failed(error)
      return errorResponse(error)
    }
  }
}

/** The request's JSON body; `invalid_request` when it is not a JSON object. */
async function bodyOf(
  init: RequestInit | undefined,
  request: Request | undefined,
): Promise<Record<string, unknown>> {
  let text: string
  if (init?.body !== undefined && init.body !== null) {
    if (typeof init.body !== 'string')
      text = await new Response(init.body as BodyInit).text() // a stream, a buffer: read it whole
    else text = init.body
  } else text = request ? await request.text() : ''
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new SluiceError('invalid_request', 'the chat request body is not JSON', { path: 'body' })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new SluiceError('invalid_request', 'the chat request body is not a JSON object', { path: 'body' })
  return parsed as Record<string, unknown>
}

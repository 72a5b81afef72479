import type { Sluice } from '@sluice/core'
import type { CallerOption } from './caller'
import { mapErrors } from './map-errors'
import { CALL_ID_HEADER, type FetchLike, sluiceFetch } from './sluice-fetch'

/** What the wrapper uses of an OpenAI-style client: the official `openai` package and `groq-sdk` both have it. */
export interface ChatClientLike {
  chat: { completions: { create(body: never, options?: never): unknown } }
  withOptions(options: { fetch?: FetchLike; maxRetries?: number }): unknown
}

export interface SluiceClientOptions {
  /** Who is calling when neither the call's headers nor the call scope say. */
  caller?: CallerOption
}

/** Calls whose error is kept for the caller; the oldest go first past this (a stream left unread). */
const KEEP_ERRORS = 1_000

/**
 * The same client, its `chat.completions.create` (plain and `stream: true`, with `.withResponse()`
 * and the client's own stream) served through `sluice`; everything else on it untouched. The
 * client's own retries are off for those calls (Sluice retries, falls back and paces), and an
 * error reaches the caller as the `SluiceError` Sluice raised, so `toHttp` applies.
 */
export function sluiceClient<C extends ChatClientLike>(
  client: C,
  sluice: Sluice,
  options: SluiceClientOptions = {},
): C {
  const errors = new Map<string, unknown>()
  const fetch = sluiceFetch(sluice, {
    ...(options.caller !== undefined ? { caller: options.caller } : {}),
    onError: (id, error) => {
      errors.set(id, error)
      if (errors.size > KEEP_ERRORS) errors.delete(errors.keys().next().value!)
    },
  })
  const inner = client.withOptions({ fetch, maxRetries: 0 }) as C
  const create = (body: unknown, requestOptions?: Record<string, unknown>) => {
    const id = globalThis.crypto.randomUUID()
    let taken = false
    let error: unknown
    const lookup = () => {
      if (!taken) {
        taken = true
        error = errors.get(id)
        errors.delete(id)
      }
      return error
    }
    const sent = (inner.chat.completions.create as (b: unknown, o: unknown) => object)(
      body,
      withHeader(requestOptions, CALL_ID_HEADER, id),
    )
    return mapErrors(sent, lookup)
  }
  const completions = overlay(client.chat.completions, 'create', create)
  const chat = overlay(client.chat, 'completions', completions)
  return overlay(client, 'chat', chat)
}

/** `target` with one property read differently; everything else as it is. */
function overlay<T extends object>(target: T, key: string, value: unknown): T {
  return new Proxy(target, {
    get: (t, prop, receiver) => (prop === key ? value : Reflect.get(t, prop, receiver)),
  })
}

/** The request options with one header more, whichever form their headers take. */
function withHeader(options: Record<string, unknown> | undefined, name: string, value: string) {
  const h = options?.headers
  let headers: unknown
  if (h instanceof Headers) {
    headers = new Headers(h)
    ;(headers as Headers).set(name, value)
  } else if (Array.isArray(h)) headers = [...h, [name, value]]
  else headers = { ...(h as Record<string, unknown> | undefined), [name]: value }
  return { ...options, headers }
}

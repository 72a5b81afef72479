import { z } from 'zod'
import { dictSchema } from '../config/dict-schema'
import { timerSchema } from '../config/duration-schema'
import { parseOptions } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import { joinSignals } from '../util/join-signals'
import { abortError } from '../util/sleep'
import { providerHttpError, providerNetworkError } from './provider-error'
import { redact } from './redact'
import { sseData } from './sse'
import type { CallOptions, ChatChunk, ChatCompletion, ChatRequest, Provider } from './types'

interface Posted {
  response: Response
  signal: AbortSignal
  untimed(): void
  done(): void
}

import { CONTINUE_INSTRUCTION } from '../stream/continue-instruction'
import { parseUsage } from './usage'

export const openAICompatibleSchema = z.object({
  name: z.string().min(1),
  baseURL: z.url(),
  apiKey: z.string().optional(),
  /**
   * A key pool: several API keys, each with its own limits at the provider. Sluice sends each
   * call with the key that has the most room and takes a key refused with 401/403 out. Keys are
   * named by their place in the list (`key-1`, `key-2`…): give every instance the same list.
   */
  apiKeys: z.array(z.string().min(1)).min(1).optional(),
  /** Models this API serves; a request for any other model is refused (nothing is sent). */
  models: z.array(z.string().min(1)).default([]),
  defaultModel: z.string().min(1),
  /**
   * Models this provider answers in place of others, for fallbacks: `{ 'deepseek-chat':
   * 'llama-3.3-70b-versatile' }` lets it take a DeepSeek request when DeepSeek is down.
   */
  modelMap: dictSchema(z.string().min(1)).prefault({}),
  /** Pass any model name through as it is (a router such as OpenRouter serves hundreds). */
  acceptAnyModel: z.boolean().default(false),
  headers: z.record(z.string(), z.string()).default({}),
  /** Per-attempt timeout. */
  timeout: timerSchema.default(60_000),
  fetch: z.custom<typeof fetch>((v) => typeof v === 'function').optional(),
  /**
   * Where the provider serves prefix completion (DeepSeek: `https://api.deepseek.com/beta`): a
   * stream's continuation goes there with the partial answer as an assistant message marked
   * `prefix: true`, instead of asking in words to continue.
   */
  prefixURL: z.url().optional(),
})

export type OpenAICompatibleOptions = z.input<typeof openAICompatibleSchema>

/** Any OpenAI-compatible chat completions API (DeepSeek, Groq, OpenRouter, vLLM, a local simulator…). */
export function openAICompatible(options: OpenAICompatibleOptions): Provider {
  const o = parseOptions(openAICompatibleSchema, options, 'provider')
  const url = `${o.baseURL.replace(/\/+$/, '')}/chat/completions`
  const prefixUrl = o.prefixURL ? `${o.prefixURL.replace(/\/+$/, '')}/chat/completions` : undefined
  const doFetch = o.fetch ?? fetch
  const models = o.models.includes(o.defaultModel) ? o.models : [o.defaultModel, ...o.models]
  // What must never appear in an error, a log line or an event: the key and every header value.
  const secrets = [o.apiKey ?? '', ...(o.apiKeys ?? []), ...Object.values(o.headers)].filter(
    (s) => s.length >= 6,
  )
  const keyNames = (o.apiKeys ?? []).map((_, i) => `key-${i + 1}`)
  /** The key a call goes with: the pool's named one, else the first of the pool, else apiKey. */
  const keyFor = (name: string | undefined) => {
    const i = name === undefined ? 0 : keyNames.indexOf(name)
    return o.apiKeys?.[Math.max(0, i)] ?? o.apiKey
  }
  const resolveModel = (requested: string): string | undefined => {
    if (models.includes(requested)) return requested
    const mapped = o.modelMap[requested]
    if (mapped !== undefined) return mapped
    return o.acceptAnyModel ? requested : undefined
  }

  /**
   * Sends the request. The timeout runs until `untimed()` (a chat: until its body is read; a
   * stream: until its headers, the agent times its first chunk); the caller's signal reaches
   * the response until `done()`.
   */
  async function post(request: ChatRequest, options: CallOptions = {}): Promise<Posted> {
    const model = resolveModel(request.model)
    if (model === undefined) {
      throw new SluiceError('invalid_request', `${o.name}: does not serve model '${request.model}'`, {
        path: 'request.model',
        provider: o.name,
      })
    }
    const timeoutMs = options.timeoutMs ?? o.timeout
    const timeout = new AbortController()
    const timer = setTimeout(
      () =>
        timeout.abort(
          new SluiceError('timeout', `${o.name}: no response in ${timeoutMs}ms`, {
            provider: o.name,
            retryable: true,
          }),
        ),
      timeoutMs,
    )
    const joined = joinSignals([options.signal, timeout.signal])
    const signal = joined.signal
    const untimed = () => clearTimeout(timer)
    const done = () => {
      untimed()
      joined.release()
    }
    // A continuation, where the provider completes a prefix: the partial answer is the prefix.
    const prefixed = prefixUrl ? asPrefix(request) : undefined
    const body = JSON.stringify({ ...(prefixed ?? request), model })
    const apiKey = keyFor(options.key)
    try {
      const response = await doFetch(prefixed ? prefixUrl! : url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
          ...o.headers,
        },
        body,
        signal,
      })
      options.onHeaders?.(response.headers)
      if (!response.ok) throw await providerHttpError(o.name, response, secrets)
      return { response, signal, untimed, done }
    } catch (error) {
      done()
      if (SluiceError.is(error)) throw error
      if (signal.aborted) throw abortError(signal)
      throw providerNetworkError(o.name, error, body.length, secrets)
    }
  }

  return {
    name: o.name,
    models,
    defaultModel: o.defaultModel,
    resolveModel,
    ...(keyNames.length > 0 ? { keys: keyNames } : {}),

    async chat(request, options) {
      const { response, signal, done } = await post({ ...request, stream: false }, options)
      let body: ChatCompletion
      try {
        body = (await response.json()) as ChatCompletion
      } catch {
        // A body cut by the timeout or the caller's signal: that is what happened.
        if (signal.aborted) throw abortError(signal)
        // No cause: a parse error quotes the body, and upstream text is not passed on unredacted.
        throw new SluiceError('provider_error', `${o.name}: response was not JSON`, {
          provider: o.name,
          retryable: true,
        })
      } finally {
        done()
      }
      if (!Array.isArray(body?.choices)) {
        throw new SluiceError('provider_error', `${o.name}: response has no choices`, {
          provider: o.name,
          retryable: true,
        })
      }
      const usage = parseUsage(body.usage)
      return usage ? { ...body, usage } : body
    },

    async *stream(request, options) {
      const { response, untimed, done } = await post(
        { ...request, stream: true, stream_options: { include_usage: true } },
        options,
      )
      untimed()
      try {
        if (!response.body)
          throw new SluiceError('provider_error', `${o.name}: empty stream`, {
            provider: o.name,
            retryable: true,
          })
        for await (const data of sseData(response.body)) {
          const chunk = JSON.parse(data) as ChatChunk
          if (chunk.usage) chunk.usage = parseUsage(chunk.usage) ?? null
          yield chunk
        }
      } catch (cause) {
        if (SluiceError.is(cause)) throw cause
        if (options?.signal?.aborted) throw abortError(options.signal)
        throw new SluiceError(
          'provider_error',
          `${o.name}: stream failed: ${redact(String((cause as Error)?.message), secrets)}`,
          {
            provider: o.name,
            retryable: true,
          },
        )
      } finally {
        done()
      }
    },
  }
}

/**
 * A continuation request (its conversation, the partial answer, `CONTINUE_INSTRUCTION`) as prefix
 * completion asks for it: the partial answer last, marked `prefix: true`. Undefined for any other.
 */
function asPrefix(request: ChatRequest): ChatRequest | undefined {
  const m = request.messages
  const last = m.at(-1)
  const partial = m.at(-2)
  if (last?.role !== 'user' || last.content !== CONTINUE_INSTRUCTION || partial?.role !== 'assistant')
    return undefined
  return {
    ...request,
    messages: [...m.slice(0, -2), { ...partial, prefix: true } as ChatRequest['messages'][number]],
  }
}

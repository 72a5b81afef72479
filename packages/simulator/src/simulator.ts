import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { answerFor, countTokens, cutAt, longestAnswer, textOf } from './answer'
import { type ChatBody, type CheckedBody, refusalOf } from './body-checks'
import { continuationOf, continuedText } from './continuation'
import { readBody, send, sleep } from './http'
import { KeyPool } from './key-pool'
import { listAnswerFor } from './list-answer'
import { goDuration, MinuteLimits } from './minute-limits'
import { PROFILES } from './profiles'
import { seededRandom } from './random'
import type { Outage, Simulator, SimulatorOptions, SimulatorStats } from './simulator-types'
import { streamAnswer } from './stream-answer'

export type { Outage, Simulator, SimulatorOptions, SimulatorStats }

/** Starts an OpenAI-compatible server that behaves like DeepSeek or Groq. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const profile = PROFILES[options.profile ?? 'deepseek']
  const random = seededRandom(options.seed ?? 1)
  const latency = options.latencyMs ?? profile.latencyMs
  const newLimits = () =>
    new MinuteLimits(
      options.rpm ?? profile.rpm,
      options.tpm ?? profile.tpm,
      Date.now,
      options.windowMs ?? 60_000,
    )
  const limits = newLimits()
  const pool = new KeyPool(options.apiKeys ?? [], newLimits)
  let inFlight = 0
  const startedAt = Date.now()
  const seenPrefixes = new Set<string>()
  let forcedOutage: boolean | undefined
  let errorRate = options.errorRate ?? 0
  let malformedLists = false
  const stats: SimulatorStats = {
    requests: 0,
    ok: 0,
    rateLimited: 0,
    injectedErrors: 0,
    outageErrors: 0,
    badRequests: 0,
    streams: 0,
    concurrencyLimited: 0,
    peakInFlight: 0,
    windows: 0,
    admittedPerWindow: limits.admitted,
    continuations: 0,
  }

  const inOutage = () => {
    if (forcedOutage !== undefined) return forcedOutage
    const t = Date.now() - startedAt
    return (options.outages ?? []).some((o) => t >= o.start && t < o.end)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: { message: 'simulator failure', type: 'server_error' } })
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').replace(/^\/v1/, '')
    if (req.method === 'GET' && path === '/models') {
      return send(res, 200, {
        object: 'list',
        data: profile.models.map((id) => ({ id, object: 'model', owned_by: profile.name })),
      })
    }
    if (req.method === 'GET' && path === '/health') return send(res, 200, { ok: true })
    if (req.method !== 'POST' || path !== '/chat/completions')
      return send(res, 404, { error: { message: 'not found' } })
    stats.requests++
    const key = (req.headers.authorization ?? '').replace(/^Bearer /, '')
    if ((options.apiKey && key !== options.apiKey) || (pool.size > 0 && !pool.admits(key))) {
      return send(res, 401, { error: { message: 'invalid api key', type: 'authentication_error' } })
    }
    let body: ChatBody
    try {
      body = JSON.parse(await readBody(req, options.maxBodyChars ?? 5_000_000))
    } catch {
      stats.badRequests++
      return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } })
    }
    const refusal = refusalOf(body, profile.models)
    if (refusal) {
      stats.badRequests++
      return send(res, refusal.status, { error: refusal.error })
    }
    const chat = body as CheckedBody
    const cap = options.maxConcurrent ?? 0
    if (cap > 0 && inFlight >= cap) {
      stats.concurrencyLimited++
      stats.rateLimited++
      return send(
        res,
        429,
        { error: { message: 'too many concurrent requests', type: 'rate_limit_exceeded' } },
        { 'retry-after': '1' },
      )
    }
    inFlight++
    stats.peakInFlight = Math.max(stats.peakInFlight, inFlight)
    res.on('close', () => inFlight--)
    await sleep(latency.min + random() * (latency.max - latency.min))
    if (inOutage()) {
      stats.outageErrors++
      return send(res, 503, { error: { message: 'service unavailable', type: 'server_error' } })
    }
    if (errorRate > 0 && random() < errorRate) {
      stats.injectedErrors++
      return send(res, random() < 0.5 ? 500 : 503, {
        error: { message: 'internal error (injected)', type: 'server_error' },
      })
    }
    const promptText = textOf(chat.messages)
    const promptTokens = countTokens(promptText)
    const maxTokens = chat.max_tokens ?? 256
    const window = pool.windowOf(key) ?? limits
    const gate = window.take(promptTokens + maxTokens)
    stats.windows = Math.max(stats.windows, window.windows)
    const headers: Record<string, string> = {}
    if (profile.sendsRateLimitHeaders) {
      if (gate.remainingRequests !== undefined) {
        headers['x-ratelimit-limit-requests'] = String(options.rpm ?? profile.rpm)
        headers['x-ratelimit-remaining-requests'] = String(gate.remainingRequests)
        headers['x-ratelimit-reset-requests'] = goDuration(gate.resetMs)
      }
      if (gate.remainingTokens !== undefined) {
        headers['x-ratelimit-limit-tokens'] = String(options.tpm ?? profile.tpm)
        headers['x-ratelimit-remaining-tokens'] = String(gate.remainingTokens)
        headers['x-ratelimit-reset-tokens'] = goDuration(gate.resetMs)
      }
    }
    if (!gate.allowed) {
      stats.rateLimited++
      headers['retry-after'] = String(Math.max(1, Math.ceil(gate.resetMs / 1000)))
      return send(
        res,
        429,
        { error: { message: 'Rate limit reached, please retry later', type: 'rate_limit_exceeded' } },
        headers,
      )
    }
    const continuing = continuationOf(chat.messages)
    const asked = continuing?.before ?? chat.messages
    let { content, finishReason } = options.answerText
      ? cutAt(options.answerText, maxTokens)
      : options.longAnswers
        ? longestAnswer(maxTokens)
        : (listAnswerFor(chat.model, asked, maxTokens, malformedLists) ??
          answerFor(chat.model, asked, maxTokens))
    if (continuing) {
      content = continuedText(content, continuing.prefix)
      stats.continuations++
      stats.lastContinuation = { prefix: continuing.prefix, content, form: continuing.form }
    }
    const completionTokens = countTokens(content)
    const usage: Record<string, number> = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    }
    if (profile.reportsCacheHits) {
      // DeepSeek's context cache: a repeated system prompt prefix is billed as cache hits.
      const system = chat.messages
        .filter((m) => m.role === 'system')
        .map((m) => String(m.content))
        .join('\n')
      const hit = system && seenPrefixes.has(system) ? Math.min(promptTokens, countTokens(system)) : 0
      if (system && seenPrefixes.size < 10_000) seenPrefixes.add(system)
      usage.prompt_cache_hit_tokens = hit
      usage.prompt_cache_miss_tokens = promptTokens - hit
    }
    const id = `chatcmpl-sim-${stats.requests}`
    const created = Math.floor(Date.now() / 1000)
    stats.ok++
    if (chat.stream) {
      stats.streams++
      return streamAnswer(
        res,
        headers,
        {
          failAfter: options.streamFailAfter,
          chunkChars: options.streamChunkChars,
          onCut: (sent) => {
            stats.lastCut = sent
          },
        },
        {
          id,
          created,
          model: chat.model,
          content,
          finishReason,
          usage,
          includeUsage: chat.stream_options?.include_usage === true,
        },
      )
    }
    send(
      res,
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model: chat.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
        usage,
      },
      headers,
    )
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}/v1`,
    profile,
    stats,
    requestsByKey: pool.requestsByKey,
    revokeKey(key) {
      pool.revoke(key)
    },
    setOutage(on) {
      forcedOutage = on
    },
    setErrorRate(rate) {
      errorRate = rate
    },
    setMalformedLists(on) {
      malformedLists = on
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

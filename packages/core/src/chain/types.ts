import type { Reservation } from '../cost/cost-tracker'
import type { StoredOverride } from '../overrides/override-schema'
import type { ChatChunk, ChatRequest, Usage } from '../providers/types'
import type { RunOptions } from '../resilience/resilient-agent'

/** What Sluice adds beside the OpenAI shape: `res.sluice`. */
export interface SluiceMeta {
  cached: boolean
  /** Shared the upstream call of an identical request already in flight. */
  coalesced: boolean
  /** Answered inside a batch (`batch` options of its endpoint), with `batchSize` calls in all. */
  batched: boolean
  batchSize: number
  provider: string | null
  attempts: number
  retries: number
  fallbacks: number
  /** How long the call waited for its provider's capacity (provider capacity), in ms. */
  capacityWaitMs: number
  costUsd: number
  queuedMs: number
  latencyMs: number
  /** A stream that broke mid-way and went on: where each continuation went, after how many characters. */
  continued?: { provider: string; afterChars: number }[]
}

/** Told when an upstream attempt fires; the returned function, how it ended (telemetry's spans). */
export type AttemptHook = NonNullable<RunOptions['onAttempt']>

/**
 * What the built-in steps share about a call. Each field is written by one step and read by the
 * others named beside it; a user middleware may read them, and keeps its own things in `state`.
 */
export interface CallSteps {
  /** The cache key, hashed once (admission or cache; read by cache and coalesce). */
  cacheKey?: string
  /** The cache lookup admission started beside the limit check, awaited by the cache step. */
  cacheLookup?: Promise<Outcome | undefined>
  /** Coalesce stored the answer itself, so the cache step does not store it again. */
  cacheStored?: boolean
  /** The prompt's estimated tokens, counted once (admission's token rules, the budget's estimate). */
  promptTokens?: number
  /** The budget's reservation, which a queued call carries to its worker. */
  reservation?: Reservation
  /** The queue step handed the call to a worker, which settles its budget. */
  handedOff?: boolean
  /** An attempt was cut by a cancellation after its request went up: its tokens may be spent. */
  cutUpstream?: boolean
  /** Telemetry's hook for each upstream attempt. */
  onAttempt?: AttemptHook
  /** Run-time overrides that apply to this call (its user's, its group's), read by admission. */
  overrides?: { user?: StoredOverride; group?: StoredOverride }
  /** Told when the call starts (true) and stops waiting for its provider's capacity (a queue worker's gate). */
  onCapacityWait?: (waiting: boolean) => void
}

/** One call on its way through the chain. Middlewares read it and may write `meta` and `state`. */
export interface Call {
  kind: 'chat' | 'call'
  /** A chat asked for as a stream (`sluice.stream`): the outcome carries `stream`. */
  stream?: boolean
  endpoint: string
  userId: string
  tier: string | undefined
  /** The caller's organisation or team, when the app names one (its budget is the group's). */
  group?: string
  /** For a stream: how many times it may continue on another provider when it breaks mid-way. */
  continuations?: number
  /** …and whether on the same provider when no other serves the model. */
  continueSame?: boolean
  priority: number
  /** For `chat`. */
  request?: ChatRequest
  /** For `call`: the input and the function that does the work. */
  input?: unknown
  run?: (input: unknown, signal: AbortSignal) => Promise<unknown>
  /** For `call` through the queue: the runner a worker runs it with (`options.runners`). */
  runner?: string
  /** For `call` with fallbacks: the functions to try in order, each with its own breaker. */
  targets?: { name: string; run: (input: unknown, signal: AbortSignal) => Promise<unknown> }[]
  /** For `call` under a budget: the model that prices it, or the USD to reserve for it. */
  pricing?: { model?: string; estimateUsd?: number }
  cache: { enabled: boolean; type: string; ttlMs?: number; scope?: 'global' | 'user' }
  signal?: AbortSignal
  timeoutMs?: number
  meta: SluiceMeta
  /** What the built-in steps share (typed, one writer each). */
  steps: CallSteps
  /** Scratch space for your own middlewares. */
  state: Record<string, unknown>
}

export interface Outcome {
  /** The answer; for a stream, nothing until it has ended (see `stream`). */
  value: unknown
  /**
   * For a stream call: the chunks, the first already produced upstream (a failure before it is a
   * rejection of `next()`). Wrap it with `observeStream` to act when it ends.
   */
  stream?: AsyncIterable<ChatChunk>
  usage?: Usage
  model?: string
  /** The provider that answered (kept with a cached or shared answer). */
  provider?: string
}

export type Next = () => Promise<Outcome>

/** Koa-style: `(call, next) => outcome`. Call `next()` at most once. */
export type Middleware = ((call: Call, next: Next) => Promise<Outcome>) & { middlewareName?: string }

/** A streamed outcome: what `next()` resolves to in `wrapStream`. */
export type StreamOutcome = Outcome & { stream: AsyncIterable<ChatChunk> }

export const isStreamOutcome = (outcome: Outcome): outcome is StreamOutcome => outcome.stream !== undefined

/**
 * A middleware as a pair: `wrapCall` around chats and wrapped calls, `wrapStream` around
 * streams. A missing half passes its calls through.
 */
export interface MiddlewarePair {
  name?: string
  wrapCall?: (call: Call, next: Next) => Promise<Outcome>
  wrapStream?: (call: Call, next: () => Promise<StreamOutcome>) => Promise<StreamOutcome>
}

/** Names a middleware (shows in errors and `sluice.middlewares()`). */
export function named(name: string, fn: (call: Call, next: Next) => Promise<Outcome>): Middleware {
  return Object.assign(fn, { middlewareName: name })
}

import type { ChatRequest, Usage } from '../providers/types'

/** What Sluice adds beside the OpenAI shape: `res.sluice`. */
export interface SluiceMeta {
  cached: boolean
  /** Shared the upstream call of an identical request already in flight. */
  coalesced: boolean
  provider: string | null
  attempts: number
  retries: number
  fallbacks: number
  costUsd: number
  queuedMs: number
  latencyMs: number
}

/** One call on its way through the chain. Middlewares read it and may write `meta` and `state`. */
export interface Call {
  kind: 'chat' | 'call'
  endpoint: string
  userId: string
  tier: string | undefined
  priority: number
  /** For `chat`. */
  request?: ChatRequest
  /** For `call`: the input and the function that does the work. */
  input?: unknown
  run?: (input: unknown, signal: AbortSignal) => Promise<unknown>
  /** For `call` under a budget: the model that prices it, or the USD to reserve for it. */
  pricing?: { model?: string; estimateUsd?: number }
  cache: { enabled: boolean; type: string; ttlMs?: number; scope?: 'global' | 'user' }
  signal?: AbortSignal
  timeoutMs?: number
  meta: SluiceMeta
  /** Scratch space for middlewares (reservations, keys). */
  state: Record<string, unknown>
}

export interface Outcome {
  value: unknown
  usage?: Usage
  model?: string
  /** The provider that answered (kept with a cached or shared answer). */
  provider?: string
}

export type Next = () => Promise<Outcome>

/** Koa-style: `(call, next) => outcome`. Call `next()` at most once. */
export type Middleware = ((call: Call, next: Next) => Promise<Outcome>) & { middlewareName?: string }

/** Names a middleware (shows in errors and `sluice.middlewares()`). */
export function named(name: string, fn: (call: Call, next: Next) => Promise<Outcome>): Middleware {
  return Object.assign(fn, { middlewareName: name })
}

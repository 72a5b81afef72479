import type { z } from 'zod'
import type { Call, SluiceMeta } from '../chain/types'
import { parseWith } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import { plainContext } from './plain-context'
import { type CallContext, callContextSchema } from './request-schema'
import type { sluiceOptionsSchema } from './sluice-schema'

export function blankMeta(): SluiceMeta {
  return {
    cached: false,
    coalesced: false,
    batched: false,
    batchSize: 0,
    provider: null,
    attempts: 0,
    retries: 0,
    fallbacks: 0,
    capacityWaitMs: 0,
    costUsd: 0,
    queuedMs: 0,
    latencyMs: 0,
  }
}

/** The fields a call starts with; meta, state and steps start blank. */
export type CallFields = Omit<Call, 'meta' | 'state' | 'steps'>

/**
 * Builds a call: every call the chain runs (from a caller, or rebuilt from a queued job) starts
 * here. `fields` is a fresh object and becomes the call itself: a copy by spread made every call
 * a slow object (+3 µs on a cache hit in `bench overhead`).
 */
export function newCall(fields: CallFields, meta?: Partial<SluiceMeta>): Call {
  const call = fields as Call
  call.meta = meta ? Object.assign(blankMeta(), meta) : blankMeta()
  call.steps = {}
  call.state = {}
  return call
}

/** Context fields only `sluice.call()` takes, and what a chat uses instead. */
const CALL_ONLY = { runner: '', model: '; chat uses request.model' } as const

/** Validates a call's context against the options and builds the Call the chain runs. */
export function callMaker(o: z.output<typeof sluiceOptionsSchema>, cacheEnabled: boolean) {
  const hasTiers = Object.keys(o.tiers).length > 0
  return (kind: Call['kind'], ctxInput: CallContext, extra: Partial<Call>): Call => {
    const ctx = plainContext(ctxInput) ?? parseWith(callContextSchema, ctxInput, 'invalid_request', 'ctx')
    const tier = ctx.tier ?? o.defaultTier
    if (tier !== undefined && hasTiers && !(tier in o.tiers)) {
      throw new SluiceError('invalid_request', `ctx.tier: unknown tier '${tier}'`, { path: 'ctx.tier' })
    }
    if (kind === 'chat') {
      const field = ctx.runner !== undefined ? 'runner' : ctx.model !== undefined ? 'model' : undefined
      if (field !== undefined) {
        throw new SluiceError('invalid_request', `ctx.${field}: for sluice.call() only${CALL_ONLY[field]}`, {
          path: `ctx.${field}`,
        })
      }
    }
    const named = typeof ctx.priority === 'string' ? o.queue?.priorities[ctx.priority] : ctx.priority
    if (typeof ctx.priority === 'string' && named === undefined) {
      throw new SluiceError('invalid_request', `ctx.priority: unknown priority '${ctx.priority}'`, {
        path: 'ctx.priority',
      })
    }
    const type = ctx.cacheType ?? o.cache.types[ctx.endpoint] ?? ctx.endpoint
    const cache: Call['cache'] = { enabled: cacheEnabled && ctx.cache, type }
    if (ctx.cacheTtl !== undefined) cache.ttlMs = ctx.cacheTtl
    if (ctx.cacheScope) cache.scope = ctx.cacheScope
    const call = newCall({
      kind,
      endpoint: ctx.endpoint,
      userId: ctx.userId,
      tier,
      priority: named ?? (tier ? o.tiers[tier]?.priority : undefined) ?? 5,
      cache,
    })
    if (ctx.group !== undefined) call.group = ctx.group
    if (kind === 'chat') {
      const s = o.streams
      const own = Object.hasOwn(s.endpoints, ctx.endpoint) ? s.endpoints[ctx.endpoint]!.continue : undefined
      if ((ctx.continueStream ?? own ?? s.continue) && s.maxContinuations > 0) {
        call.continuations = s.maxContinuations
        if (s.sameProvider) call.continueSame = true
      }
    }
    if (ctx.signal) call.signal = ctx.signal
    if (ctx.timeout !== undefined) call.timeoutMs = ctx.timeout
    if (ctx.model !== undefined || ctx.estimateUsd !== undefined) {
      call.pricing = {}
      if (ctx.model !== undefined) call.pricing.model = ctx.model
      if (ctx.estimateUsd !== undefined) call.pricing.estimateUsd = ctx.estimateUsd
    }
    if (ctx.runner !== undefined) call.runner = ctx.runner
    return Object.assign(call, extra)
  }
}

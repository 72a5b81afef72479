import type { z } from 'zod'
import type { Call, SluiceMeta } from '../chain/types'
import { parseWith } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
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
    costUsd: 0,
    queuedMs: 0,
    latencyMs: 0,
  }
}

/** Context fields only `sluice.call()` takes, and what a chat uses instead. */
const CALL_ONLY = [
  ['runner', ''],
  ['model', '; chat uses request.model'],
] as const

/** Validates a call's context against the options and builds the Call the chain runs. */
export function callMaker(o: z.output<typeof sluiceOptionsSchema>, cacheEnabled: boolean) {
  return (kind: Call['kind'], ctxInput: CallContext, extra: Partial<Call>): Call => {
    const ctx = parseWith(callContextSchema, ctxInput, 'invalid_request', 'ctx')
    const tier = ctx.tier ?? o.defaultTier
    if (tier !== undefined && Object.keys(o.tiers).length > 0 && !(tier in o.tiers)) {
      throw new SluiceError('invalid_request', `ctx.tier: unknown tier '${tier}'`, { path: 'ctx.tier' })
    }
    if (kind === 'chat') {
      for (const [field, hint] of CALL_ONLY) {
        if (ctx[field] !== undefined) {
          throw new SluiceError('invalid_request', `ctx.${field}: for sluice.call() only${hint}`, {
            path: `ctx.${field}`,
          })
        }
      }
    }
    const named = typeof ctx.priority === 'string' ? o.queue?.priorities[ctx.priority] : ctx.priority
    if (typeof ctx.priority === 'string' && named === undefined) {
      throw new SluiceError('invalid_request', `ctx.priority: unknown priority '${ctx.priority}'`, {
        path: 'ctx.priority',
      })
    }
    const type = ctx.cacheType ?? o.cache.types[ctx.endpoint] ?? ctx.endpoint
    const pricing =
      ctx.model !== undefined || ctx.estimateUsd !== undefined
        ? {
            ...(ctx.model !== undefined ? { model: ctx.model } : {}),
            ...(ctx.estimateUsd !== undefined ? { estimateUsd: ctx.estimateUsd } : {}),
          }
        : undefined
    return {
      kind,
      endpoint: ctx.endpoint,
      userId: ctx.userId,
      tier,
      priority: named ?? (tier ? o.tiers[tier]?.priority : undefined) ?? 5,
      cache: {
        enabled: cacheEnabled && ctx.cache,
        type,
        ...(ctx.cacheTtl !== undefined ? { ttlMs: ctx.cacheTtl } : {}),
        ...(ctx.cacheScope ? { scope: ctx.cacheScope } : {}),
      },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.timeout !== undefined ? { timeoutMs: ctx.timeout } : {}),
      ...(pricing ? { pricing } : {}),
      ...(ctx.runner !== undefined ? { runner: ctx.runner } : {}),
      meta: blankMeta(),
      state: {},
      ...extra,
    }
  }
}

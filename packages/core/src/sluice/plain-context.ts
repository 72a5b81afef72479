import type { z } from 'zod'
import { idProblem } from '../util/keys'
import { isPlainObject } from '../util/plain-object'
import type { callContextSchema } from './request-schema'

type Context = z.output<typeof callContextSchema>

const isId = (v: unknown) => idProblem(v) === undefined
const optionalId = (v: unknown) => v === undefined || isId(v)

/** The context fields checked by hand; any other field (a duration, say) goes to the schema. */
const CHECKS: Record<string, (v: unknown) => boolean> = Object.assign(Object.create(null), {
  userId: isId,
  tier: optionalId,
  group: optionalId,
  endpoint: optionalId,
  cacheType: optionalId,
  runner: optionalId,
  cache: (v: unknown) => v === undefined || typeof v === 'boolean',
  continueStream: (v: unknown) => v === undefined || typeof v === 'boolean',
  cacheScope: (v: unknown) => v === undefined || v === 'global' || v === 'user',
  priority: (v: unknown) =>
    v === undefined || (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 10) || isId(v),
  model: (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0),
  estimateUsd: (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0),
  signal: (v: unknown) => v === undefined || v instanceof AbortSignal,
})

/**
 * A call context with only the fields checked here, all valid, as the schema would parse it
 * (defaults filled in); undefined otherwise, and the schema decides (and names what is wrong).
 */
export function plainContext(ctx: unknown): Context | undefined {
  if (!isPlainObject(ctx)) return undefined
  if (ctx.userId === undefined) return undefined
  for (const key in ctx) {
    const check = CHECKS[key]
    if (check === undefined || !check(ctx[key])) return undefined
  }
  // One shape for every context, so the reads that follow stay monomorphic.
  return {
    userId: ctx.userId as string,
    tier: ctx.tier as string | undefined,
    group: ctx.group as string | undefined,
    endpoint: (ctx.endpoint as string | undefined) ?? 'default',
    priority: ctx.priority as number | string | undefined,
    cache: (ctx.cache as boolean | undefined) ?? true,
    continueStream: ctx.continueStream as boolean | undefined,
    cacheType: ctx.cacheType as string | undefined,
    cacheTtl: undefined,
    cacheScope: ctx.cacheScope as Context['cacheScope'],
    timeout: undefined,
    signal: ctx.signal as AbortSignal | undefined,
    model: ctx.model as string | undefined,
    runner: ctx.runner as string | undefined,
    estimateUsd: ctx.estimateUsd as number | undefined,
  }
}

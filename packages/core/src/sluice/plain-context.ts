import type { z } from 'zod'
import { idProblem } from '../util/keys'
import type { callContextSchema } from './request-schema'

type Context = z.output<typeof callContextSchema>

const isId = (v: unknown) => idProblem(v) === undefined
const optionalId = (v: unknown) => v === undefined || isId(v)

/** The context fields checked by hand; any other field (a duration, say) goes to the schema. */
const CHECKS: Record<string, (v: unknown) => boolean> = Object.assign(Object.create(null), {
  userId: isId,
  tier: optionalId,
  endpoint: optionalId,
  cacheType: optionalId,
  runner: optionalId,
  cache: (v: unknown) => v === undefined || typeof v === 'boolean',
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
  if (typeof ctx !== 'object' || ctx === null || Object.getPrototypeOf(ctx) !== Object.prototype)
    return undefined
  const fields = ctx as Record<string, unknown>
  if (fields.userId === undefined) return undefined
  for (const key in fields) {
    const check = CHECKS[key]
    if (check === undefined || !check(fields[key])) return undefined
  }
  // One shape for every context, so the reads that follow stay monomorphic.
  return {
    userId: fields.userId as string,
    tier: fields.tier as string | undefined,
    endpoint: (fields.endpoint as string | undefined) ?? 'default',
    priority: fields.priority as number | string | undefined,
    cache: (fields.cache as boolean | undefined) ?? true,
    cacheType: fields.cacheType as string | undefined,
    cacheTtl: undefined,
    cacheScope: fields.cacheScope as Context['cacheScope'],
    timeout: undefined,
    signal: fields.signal as AbortSignal | undefined,
    model: fields.model as string | undefined,
    runner: fields.runner as string | undefined,
    estimateUsd: fields.estimateUsd as number | undefined,
  }
}

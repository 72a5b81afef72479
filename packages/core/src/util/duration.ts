import { SluiceError } from '../errors/sluice-error'

/** `'60s' | '1m' | '24h' | '250ms' | '2d'` or a number of milliseconds. Never bare seconds. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/**
 * Returns whole milliseconds, or undefined when the value is not a duration. Sub-millisecond
 * values (`'0.001ms'`, `1.5`) are not durations: no timer or window can honour them.
 */
export function tryParseDuration(value: unknown): number | undefined {
  let ms: number
  if (typeof value === 'number') ms = value
  else if (typeof value === 'string') {
    const match = PATTERN.exec(value.trim())
    if (!match) return undefined
    // Round away float noise ('0.1s' × 1000 = 100.00000000000001) but not real fractions of a ms.
    ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] * 1e6) / 1e6
  } else return undefined
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined
}

export function parseDuration(value: Duration, path = 'duration'): number {
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    throw new SluiceError(
      'invalid_config',
      `${path}: expected a duration like '60s', '1m', '24h' or whole milliseconds`,
      { path },
    )
  }
  return ms
}

/**
 * A store's retention options, `Duration | false` (off): the ms, or undefined when off. Each is
 * named by `path` (e.g. `redisStore.housekeeping`) in the `invalid_config` it may raise; an
 * interval (`positive`) must be longer than 0 ms.
 */
export function durationOrOff(
  value: Duration | false | undefined,
  fallback: Duration,
  path: string,
  positive = false,
): number | undefined {
  if (value === false) return undefined
  const ms = parseDuration(value ?? fallback, path)
  if (positive && ms < 1) {
    throw new SluiceError('invalid_config', `${path}: must be longer than 0ms`, { path })
  }
  return ms
}

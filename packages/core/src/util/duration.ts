import { SluiceError } from '../errors/sluice-error'

/** `'60s' | '1m' | '24h' | '250ms' | '2d'` or a number of milliseconds. Never bare seconds. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/

/** Returns milliseconds, or undefined when the value is not a duration. */
export function tryParseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined
  if (typeof value !== 'string') return undefined
  const match = PATTERN.exec(value.trim())
  if (!match) return undefined
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
}

export function parseDuration(value: Duration, path = 'duration'): number {
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    throw new SluiceError(
      'invalid_config',
      `${path}: expected a duration like '60s', '1m', '24h' or milliseconds`,
      {
        path,
      },
    )
  }
  return ms
}

import { SluiceError } from '../errors/sluice-error'

/**
 * Joins user-supplied parts into one store key. Each part is percent-encoded, so no part can
 * contain the separator (or Redis hash-tag braces) and no user id can reach into another key.
 * Parts must be well-formed Unicode: ids from the app pass `checkId` first.
 */
export function keyOf(...parts: readonly string[]): string {
  return parts.map(encodeURIComponent).join(':')
}

/**
 * A key that names its slot: `base:{slot}`, the slot percent-encoded like any user part. Keys
 * with one slot (a user's counters) stay together on a sharded backend (Redis Cluster hash tags).
 */
export function slotted(base: string, slot: string): string {
  return `${base}:{${encodeURIComponent(slot)}}`
}

export const MAX_ID = 256

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
/**
 * What is wrong with an id, or undefined. One pass over its chars (ids are checked on every
 * call): C0 and C1 control characters and DEL (newlines, NUL and friends have no place in an id)
 * are found there; a blank or a lone surrogate is looked for only when a char makes it possible.
 */
export function idProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID)
    return `expected a non-empty string of at most ${MAX_ID} chars`
  let maybeBlank = true
  let control = false
  let surrogate = false
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) control = true
    else if (c >= 0xd800 && c <= 0xdfff) surrogate = true
    // Below U+1680 only the space and U+00A0 are white space (besides the controls above).
    if (maybeBlank && c > 0x20 && c !== 0xa0 && c < 0x1680) maybeBlank = false
  }
  if (maybeBlank && value.trim().length === 0) return 'must not be blank'
  if (control) return 'must not contain control characters (newline, NUL, …)'
  if (surrogate && LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (it has a lone surrogate)'
  return undefined
}

/** Validates an id supplied by the app; a bad one is `invalid_request` naming `path`. */
export function checkId(value: unknown, path: string): string {
  const problem = idProblem(value)
  if (problem) throw new SluiceError('invalid_request', `${path}: ${problem}`, { path })
  return value as string
}

import { SluiceError } from '../errors/sluice-error'

/**
 * Joins user-supplied parts into one store key. Each part is percent-encoded, so no part can
 * contain the separator (or Redis hash-tag braces) and no user id can reach into another key.
 */
export function keyOf(...parts: readonly string[]): string {
  return parts.map(encodeURIComponent).join(':')
}

const MAX_ID = 256

/** Validates an id supplied by the app (user id, endpoint, job id). */
export function checkId(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    throw new SluiceError(
      'invalid_request',
      `${path}: expected a non-empty string of at most ${MAX_ID} chars`,
      {
        path,
      },
    )
  }
  return value
}

import type { z } from 'zod'
import type { SluiceErrorCode } from '../errors/codes'
import { SluiceError } from '../errors/sluice-error'

function pathOf(root: string, path: readonly PropertyKey[]): string {
  return [root, ...path.map(String)].filter(Boolean).join('.')
}

/** Parses with a zod schema; the first issue becomes a SluiceError naming its path. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: SluiceErrorCode,
  root: string,
): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const path = pathOf(root, issue.path)
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : ''
  return throwAt(code, path, `${path}: ${issue.message}${more}`, result.error)
}

function throwAt(code: SluiceErrorCode, path: string, message: string, cause: unknown): never {
  throw new SluiceError(code, message, { path, cause, details: { path } })
}

export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  return parseWith(schema, input, 'invalid_config', root)
}

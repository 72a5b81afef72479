import { z } from 'zod'
import { idProblem } from '../util/keys'
import { isPlainObject } from '../util/plain-object'

/** A dictionary without a prototype: `constructor`, `toString` or `__proto__` are names like any other. */
export type Dict<V> = Record<string, V>

export function emptyDict<V>(): Dict<V> {
  return Object.create(null) as Dict<V>
}

/**
 * A record keyed by names from the app, parsed into a prototype-less dictionary, so a lookup by
 * any name (from config or from a request) never reaches Object.prototype. Own `__proto__` keys
 * (as JSON.parse makes them) are kept, not dropped.
 */
export function dictSchema<V extends z.ZodType>(value: V) {
  return z
    .custom<Record<string, z.input<V>>>(isPlainObject, { message: 'expected an object' })
    .transform((input, ctx) => {
      const out = emptyDict<z.output<V>>()
      for (const key of Object.keys(input)) {
        const problem = idProblem(key)
        if (problem) {
          ctx.addIssue({ code: 'custom', path: [key], message: `name '${key}': ${problem}` })
          continue
        }
        const parsed = value.safeParse(input[key])
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            ctx.addIssue({ code: 'custom', path: [key, ...issue.path], message: issue.message })
          continue
        }
        out[key] = parsed.data
      }
      return out
    })
}

// The common shapes, checked by hand before zod: a request or a context that passes here would
// pass the schema too (request-schema.ts); anything else goes to the schema, which names what is
// wrong. Zod on every call cost more than the rest of a cache hit.
import { isPlainObject } from '../util/plain-object'

const ROLES = new Set(['system', 'user', 'assistant', 'tool', 'developer'])
const positiveInt = (v: unknown) => v === undefined || (Number.isSafeInteger(v) && (v as number) > 0)
const within = (v: unknown, max: number) => v === undefined || (typeof v === 'number' && v >= 0 && v <= max)
/** Most bytes a string takes in JSON: every UTF-16 unit as a six-char `\u` escape, and its quotes. */
const textBytes = (s: string) => 6 * s.length + 2
const NUMBER_BYTES = 24

/** A message of role, text content and name only: the bound of its JSON bytes, or undefined. */
function messageBytes(m: unknown): number | undefined {
  if (!isPlainObject(m) || !ROLES.has(m.role as string)) return undefined
  if (typeof m.content !== 'string' && m.content !== null) return undefined
  let bytes = 2
  for (const key in m) {
    const v = m[key]
    bytes += key.length + 4
    if (key === 'role') bytes += 11
    else if (typeof v === 'string' && (key === 'content' || key === 'name')) bytes += textBytes(v)
    else if (v === null && key === 'content') bytes += 4
    else if (v !== undefined || key !== 'name') return undefined
  }
  return bytes
}

/**
 * When a chat request has only the fields checked here, and they are valid: an upper bound of
 * its JSON size in bytes (so the size check needs no serialisation). Otherwise undefined.
 */
export function plainRequestBytes(r: unknown): number | undefined {
  if (!isPlainObject(r) || typeof r.model !== 'string' || r.model.length === 0) return undefined
  const { messages } = r
  if (!Array.isArray(messages) || messages.length === 0) return undefined
  if (!positiveInt(r.max_tokens) || !positiveInt(r.max_completion_tokens)) return undefined
  if (!within(r.temperature, 2) || !within(r.top_p, 1) || (r.n !== undefined && r.n !== 1)) return undefined
  let bytes = 2
  for (const key in r) {
    const v = r[key]
    bytes += key.length + 4
    if (key === 'messages') {
      bytes += 2
      for (const m of messages) {
        const one = messageBytes(m)
        if (one === undefined) return undefined
        bytes += one + 1
      }
    } else if (key === 'model' || key === 'user') {
      if (typeof v !== 'string') return undefined
      bytes += textBytes(v)
    } else if (key === 'stream') {
      if (typeof v !== 'boolean' && v !== undefined) return undefined
      bytes += 5
    } else if (
      key === 'max_tokens' ||
      key === 'max_completion_tokens' ||
      key === 'temperature' ||
      key === 'top_p' ||
      key === 'n'
    )
      bytes += NUMBER_BYTES
    else return undefined
  }
  return bytes
}

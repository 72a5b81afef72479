import { SluiceError } from '../errors/sluice-error'

const MAX_DEPTH = 64

/**
 * The canonical text of a value, for hashing into a cache key: object keys sorted at every
 * depth (so `{a,b}` and `{b,a}` key alike), and every value it accepts spelled distinctly. JSON
 * values come out as sorted JSON; a Date, Map, Set or an object with `toJSON` (URL…) is tagged
 * with its kind (`Date("2026-01-01T00:00:00.000Z")`), so it can never collide with a string or
 * with another kind. What it cannot tell apart — class instances, functions, symbols, bigints,
 * NaN, cycles, nesting deeper than 64 — is refused with `invalid_request`.
 */
export function canonicalJson(value: unknown): string {
  return write(value === undefined ? null : value, [], 0)
}

function refuse(what: string): never {
  throw new SluiceError('invalid_request', `input: cannot be keyed: ${what}`, { path: 'input' })
}

function write(value: unknown, stack: object[], depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) refuse(String(value))
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      return writeObject(value, stack, depth)
    default:
      return refuse(`a ${typeof value}`)
  }
}

function writeObject(value: object, stack: object[], depth: number): string {
  if (depth >= MAX_DEPTH) refuse(`nested deeper than ${MAX_DEPTH}`)
  if (stack.includes(value)) refuse('a circular reference')
  stack.push(value)
  try {
    if (Array.isArray(value)) {
      let out = '['
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += ','
        const item = value[i]
        out += item === undefined ? 'null' : write(item, stack, depth + 1) // as JSON does
      }
      return `${out}]`
    }
    const proto = Object.getPrototypeOf(value)
    if (proto === Object.prototype || proto === null)
      return writePlain(value as Record<string, unknown>, stack, depth)
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) refuse('an invalid Date')
      return `Date(${JSON.stringify(value.toISOString())})`
    }
    if (value instanceof Map) {
      const entries = [...value].map(
        ([k, v]) => `${write(k, stack, depth + 1)}:${write(v, stack, depth + 1)}`,
      )
      return `Map(${entries.sort().join(',')})`
    }
    if (value instanceof Set) {
      return `Set(${[...value]
        .map((v) => write(v, stack, depth + 1))
        .sort()
        .join(',')})`
    }
    const toJSON = (value as { toJSON?: unknown }).toJSON
    if (typeof toJSON === 'function') {
      const kind = (proto?.constructor as { name?: string } | undefined)?.name || 'Object'
      return `${kind}(${write((toJSON as () => unknown).call(value), stack, depth + 1)})`
    }
    return refuse(`a ${(proto?.constructor as { name?: string } | undefined)?.name ?? 'class'} instance`)
  } finally {
    stack.pop()
  }
}

function writePlain(value: Record<string, unknown>, stack: object[], depth: number): string {
  const keys = Object.keys(value).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    const v = value[key]
    if (v === undefined) continue // as JSON does
    out += `${first ? '' : ','}${JSON.stringify(key)}:${write(v, stack, depth + 1)}`
    first = false
  }
  return `${out}}`
}

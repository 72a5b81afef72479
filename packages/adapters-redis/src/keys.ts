const encode = (s: string) => s.replace(/[%{}]/g, (c) => encodeURIComponent(c))
const SLOT = /^([\s\S]*)\{([^{}]+)\}$/

/**
 * The Redis key for a port's key, under `prefix`. A key that names its slot (`base:{slot}`, as
 * the core builds a user's counters) becomes `prefix:{slot}:base`, so every key of that slot
 * hashes to one Redis Cluster slot and a script can touch them together; any other key is
 * wholly its own hash tag, `prefix:{key}`. Braces and `%` inside are percent-encoded, so the
 * mapping is one-to-one: no two port keys share a Redis key.
 */
export function redisKey(prefix: string, key: string): string {
  const slotted = SLOT.exec(key)
  if (slotted) return `${prefix}:{${encode(slotted[2]!)}}:${encode(slotted[1]!)}`
  return `${prefix}:{${encode(key)}}`
}

/**
 * A SCAN pattern for every Redis key whose port key starts with `portPrefix`, given the Redis key
 * of that prefix (an unslotted key, `prefix:{…`): the closing brace is dropped, glob characters
 * are escaped, and `*` is appended.
 */
export function redisPattern(redisKeyOfPrefix: string): string {
  const open = redisKeyOfPrefix.endsWith('}') ? redisKeyOfPrefix.slice(0, -1) : redisKeyOfPrefix
  return `${open.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`
}

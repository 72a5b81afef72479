/** Parses Go-style durations as Groq sends them in x-ratelimit-reset-*: `2m59.56s`, `7.66s`, `120ms`. */
export function parseResetDuration(value: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g
  let total = 0
  let matched = ''
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const n = Number(m[1])
    total += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n
    matched += m[0]
  }
  return matched.length > 0 && matched === value.trim() ? Math.ceil(total) : undefined
}

/**
 * How long to wait before retrying, from `Retry-After` (seconds or an HTTP date), `retry-after-ms`,
 * or the `x-ratelimit-reset-requests` / `x-ratelimit-reset-tokens` headers (the longest wins).
 */
export function retryAfterFromHeaders(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms')
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const ra = headers.get('retry-after')
  if (ra) {
    const secs = Number(ra)
    if (Number.isFinite(secs)) return Math.max(0, secs * 1000)
    const date = Date.parse(ra)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  let longest: number | undefined
  for (const name of ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']) {
    const v = headers.get(name)
    const parsed = v ? parseResetDuration(v) : undefined
    if (parsed !== undefined) longest = Math.max(longest ?? 0, parsed)
  }
  return longest
}

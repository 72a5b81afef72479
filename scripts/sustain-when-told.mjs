// Child side of a sustained multi-process test (scripts/processes.ts): say "ready", wait for the
// go line, then keep `loops` callers per algorithm busy on one key each for `durationMs`, and
// print every admitted call's [resetAt, remaining] (the store's clock) plus call counts.
import { once } from 'node:events'

export const ALGORITHMS = {
  fixed: 'fixed-window',
  sliding: 'sliding-window',
  log: 'sliding-log',
  bucket: 'token-bucket',
}

/** The limiter's rules: one endpoint per algorithm, `limit` a `window`. */
export function sustainedLimits(limit, window) {
  return Object.fromEntries(
    Object.entries(ALGORITHMS).map(([endpoint, algorithm]) => [endpoint, { limit, window, algorithm }]),
  )
}

export async function sustainWhenTold(limiter, { durationMs, loops }) {
  console.log('ready')
  await once(process.stdin, 'data')
  const until = Date.now() + durationMs
  const out = { fixed: [], sliding: [], log: [], bucket: [], calls: 0, errors: 0, error: '' }
  await Promise.all(
    Object.keys(ALGORITHMS).flatMap((endpoint) =>
      Array.from({ length: loops }, async () => {
        while (Date.now() < until) {
          try {
            const d = await limiter.limit({ userId: 'same-user', endpoint })
            out.calls++
            if (d.allowed) out[endpoint].push([d.resetAt, d.remaining])
          } catch (error) {
            out.errors++
            out.error = String(error?.message ?? error).replace(/[{}]/g, '')
          }
        }
      }),
    ),
  )
  console.log(JSON.stringify(out))
}

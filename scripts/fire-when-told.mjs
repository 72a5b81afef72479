// Child side of runTogether() (scripts/processes.ts): say "ready", wait for the go line on stdin,
// then make `calls` concurrent limit() calls on one key and print how many were allowed.
import { once } from 'node:events'

export async function fireWhenTold(limiter, calls) {
  console.log('ready')
  await once(process.stdin, 'data')
  const results = await Promise.all(
    Array.from({ length: calls }, () => limiter.limit({ userId: 'same-user', endpoint: 'ask' })),
  )
  const allowed = results.filter((r) => r.allowed).length
  console.log(JSON.stringify({ allowed, denied: results.length - allowed }))
}

// A createSluice app under steady load while its store dies and comes back (a server the test
// started itself): what every call did, when, and how long it took.
import type { Sluice } from '@sluice/core'

export interface CallRecord {
  at: number
  ms: number
  user: 'free' | 'premium'
  phase: 'before' | 'down' | 'after'
  outcome: string
  cached: boolean
}

const QUESTIONS = ['Translate: good morning', 'Translate: thank you', 'Translate: see you soon']

/**
 * Keeps `callers` loops calling for the whole run: free users (with a budget) and premium users
 * (without) in turn, a few questions that repeat so the cache has work. Calls `down()` after
 * `downAtMs` and `up()` after `upAtMs`; records every call.
 */
export async function loadThroughOutage(
  sluice: Sluice,
  o: {
    callers: number
    durationMs: number
    downAtMs: number
    upAtMs: number
    down: () => Promise<void> | void
    up: () => Promise<void>
  },
): Promise<CallRecord[]> {
  const records: CallRecord[] = []
  const start = Date.now()
  let phase: CallRecord['phase'] = 'before'
  const outage = (async () => {
    await new Promise((r) => setTimeout(r, o.downAtMs))
    await o.down()
    phase = 'down'
    await new Promise((r) => setTimeout(r, Math.max(0, o.upAtMs - (Date.now() - start))))
    await o.up()
    phase = 'after'
  })()
  let n = 0
  await Promise.all(
    Array.from({ length: o.callers }, async () => {
      while (Date.now() - start < o.durationMs) {
        const i = n++
        const user = i % 2 === 0 ? 'free' : 'premium'
        const began = Date.now()
        const seenPhase = phase
        let outcome = 'ok'
        let cached = false
        try {
          const res = await sluice.chat(
            {
              model: 'deepseek-chat',
              messages: [{ role: 'user', content: QUESTIONS[i % QUESTIONS.length]! }],
            },
            { userId: `${user}-${i % 5}`, tier: user, endpoint: 'ask' },
          )
          cached = res.sluice.cached
        } catch (error) {
          outcome = (error as { code?: string }).code ?? 'internal'
        }
        records.push({ at: began - start, ms: Date.now() - began, user, phase: seenPhase, outcome, cached })
        await new Promise((r) => setTimeout(r, 5))
      }
    }),
  )
  await outage
  return records
}

/** The outcomes of some calls, counted by code. */
export function outcomes(records: readonly CallRecord[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of records) out[r.outcome] = (out[r.outcome] ?? 0) + 1
  return out
}

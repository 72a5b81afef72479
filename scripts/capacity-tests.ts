// The provider-capacity tests, the same for every shared store: four processes, each an app
// instance (createSluice) on one store, against a simulated provider at its quota that this
// process runs and counts. Nothing of the provider's rate limits is configured in Sluice.

import { spawn } from 'node:child_process'
import type { Simulator, startSimulator } from '@sluice/simulator'
import { POOL } from './capacity-scenarios.mjs'
import { runTogether } from './processes'

interface Report {
  ok: number
  errors: Record<string, number>
  waits: { free: number; premium: number }
  users: Record<string, number>
  retryAfter: number[]
  breakers: Record<string, string>
  revoked: string[]
}

interface CapacityApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): {
    toBe(v: unknown): void
    toEqual(v: unknown): void
    toBeLessThanOrEqual(n: number): void
    toBeGreaterThanOrEqual(n: number): void
    toBeLessThan(n: number): void
    toBeGreaterThan(n: number): void
  }
  afterEach(fn: () => Promise<void>): void
}

export interface CapacityTestOptions {
  name: string
  /** The fixture that runs one instance: argv = namespace, then the scenario's. */
  script: string
  env: NodeJS.ProcessEnv
  namespace(test: string): string
  startSimulator: typeof startSimulator
}

const WINDOW = 2_000 // the simulator's and Sluice's window: 30 RPM / 6,000 TPM per 2 s here
const sum = (rs: Report[], pick: (r: Report) => number) => rs.reduce((n, r) => n + pick(r), 0)
const errors = (rs: Report[]) => {
  const all: Record<string, number> = {}
  for (const r of rs) for (const [c, n] of Object.entries(r.errors)) all[c] = (all[c] ?? 0) + n
  return all
}

export function capacityTests(t: CapacityApi, o: CapacityTestOptions): void {
  const sims: Simulator[] = []
  t.afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()))
  })
  const sim = async (options: Parameters<typeof startSimulator>[0]) => {
    const s = await o.startSimulator(options)
    sims.push(s)
    return s
  }
  /** The simulated Groq free tier: 30 requests / 6,000 tokens a window. */
  const atQuota = (min: number, max: number, extra: Parameters<typeof startSimulator>[0] = {}) =>
    sim({ profile: 'groq', latencyMs: { min, max }, rpm: 30, tpm: 6000, windowMs: WINDOW, ...extra })
  const run = (ns: string, args: (string | number)[], rounds = 1, processes = 4) =>
    runTogether<Report>(
      o.script,
      Array.from({ length: processes }, () => [ns, ...args.map(String)]),
      o.env,
      rounds,
    )

  t.describe(`${o.name}: provider capacity, shared by a fleet of four`, () => {
    t.it(
      '4 processes × 50 callers at a 30 RPM / 6,000 TPM provider: ≤ 1% 429s, ≥ 90% of the quota answered, no circuit_open',
      async () => {
        const gq = await atQuota(20, 60)
        const runMs = 5 * WINDOW
        const reports = await run(o.namespace('quota'), ['quota', gq.url, 50, runMs, WINDOW, 1_500])
        const answered = sum(reports, (r) => r.ok)
        // What the quota allowed: 30 requests in each window the provider opened, but the last
        // (the tail after the callers stopped, part of a window). Each got ≥ 90% of it on average.
        const windows = gq.stats.admittedPerWindow.slice(0, -1)
        console.log(
          `${o.name} capacity: ${gq.stats.requests} requests, ${gq.stats.rateLimited} 429s, admitted per window ${JSON.stringify(windows)}`,
        )
        expect429s(t, gq, answered)
        t.expect(windows.length).toBeGreaterThanOrEqual(4)
        t.expect(windows.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
          Math.ceil(0.9 * 30 * windows.length),
        )
        const codes = errors(reports)
        t.expect(Object.keys(codes).filter((c) => c !== 'capacity_exceeded')).toEqual([])
        for (const r of reports) t.expect(r.breakers.groq).toBe('closed')
      },
      60_000,
    )

    t.it(
      'under a full provider, premium callers wait less than free ones, and no user starves',
      async () => {
        const gq = await atQuota(20, 40)
        const reports = await run(
          o.namespace('priority'),
          ['priority', gq.url, 10, 4 * WINDOW, WINDOW, 20_000],
          2,
        )
        for (const r of reports) {
          t.expect(r.waits.premium).toBeLessThan(r.waits.free)
          t.expect(Object.keys(r.users).length).toBe(10) // each of its ten users was answered
        }
        expect429s(
          t,
          gq,
          sum(reports, (r) => r.ok),
        )
      },
      90_000,
    )

    t.it(
      'a provider capped at 8 in flight never sees a 9th across 4 processes',
      async () => {
        const ds = await sim({ profile: 'deepseek', latencyMs: { min: 80, max: 120 }, maxConcurrent: 8 })
        const reports = await run(o.namespace('slots'), ['slots', ds.url, 10, 2_000, WINDOW, 20_000, 5_000])
        t.expect(ds.stats.peakInFlight).toBeLessThanOrEqual(8)
        t.expect(ds.stats.concurrencyLimited).toBe(0)
        t.expect(sum(reports, (r) => r.ok)).toBeGreaterThan(80)
      },
      60_000,
    )

    t.it(
      "a pool of 3 keys spreads the load within each key's limits with no 429s; a revoked key drops out",
      async () => {
        const gq = await atQuota(20, 40, { apiKeys: POOL })
        const running = run(o.namespace('pool'), ['pool', gq.url, 20, 4 * WINDOW, WINDOW, 1_500])
        await new Promise((r) => setTimeout(r, 2 * WINDOW))
        gq.revokeKey(POOL[1]!)
        const atRevoke = gq.requestsByKey[POOL[1]!] ?? 0
        await new Promise((r) => setTimeout(r, 1.5 * WINDOW)) // every instance meets a refusal (or reads it)
        const heard = gq.requestsByKey[POOL[1]!] ?? 0
        const reports = await running
        const answered = sum(reports, (r) => r.ok)
        console.log(
          `${o.name} pool: ${gq.stats.requests} requests, ${gq.stats.rateLimited} 429s, by key ${JSON.stringify(gq.requestsByKey)}`,
        )
        // Three keys' quota: well over one key's, and not one 429 among them.
        t.expect(answered).toBeGreaterThan(2 * 30 * 4)
        t.expect(gq.stats.rateLimited).toBe(0)
        for (const key of [POOL[0]!, POOL[2]!]) t.expect(gq.requestsByKey[key] ?? 0).toBeGreaterThan(60)
        t.expect(atRevoke).toBeGreaterThan(20) // it carried its share until then
        // Once refused, the fleet stopped sending with it: the calls already on their way met the
        // refusal (and went again with another key), and nothing after that.
        t.expect(heard - atRevoke).toBeLessThanOrEqual(20)
        t.expect(gq.requestsByKey[POOL[1]!] ?? 0).toBe(heard)
        t.expect(Object.keys(errors(reports)).filter((c) => c !== 'capacity_exceeded')).toEqual([])
        t.expect(reports.some((r) => r.revoked.includes('key-2'))).toBe(true)
      },
      60_000,
    )

    t.it(
      'a process killed -9 holding every slot: its slots free themselves within the lease',
      async () => {
        const ds = await sim({ profile: 'deepseek', latencyMs: { min: 2_000, max: 2_000 }, maxConcurrent: 8 })
        const ns = o.namespace('killed')
        const lease = 1_500
        const args = ['slots-killed', ds.url, 0, 0, WINDOW, 20_000, lease].map(String)
        const holder = spawn(process.execPath, [o.script, ns, ...args], {
          env: o.env,
          stdio: ['pipe', 'pipe', 'inherit'],
        })
        const exited = new Promise((resolve) => holder.on('exit', resolve))
        await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve())) // ready
        holder.stdin.write('go\n')
        while (ds.stats.peakInFlight < 8) await new Promise((r) => setTimeout(r, 20))
        const killedAt = Date.now()
        holder.kill('SIGKILL')
        await exited
        // A new instance: every slot is the dead one's until its lease ends, then its calls go.
        const [report] = await run(ns, ['slots', ds.url, 4, 1, WINDOW, 20_000, lease], 1, 1)
        const waited = Date.now() - killedAt
        t.expect({ ok: report!.ok, errors: report!.errors }).toEqual({ ok: 4, errors: {} })
        t.expect(ds.stats.concurrencyLimited).toBe(0)
        // Its own 2 s calls could start only once the dead process's leases ended (not at the kill).
        t.expect(waited).toBeGreaterThanOrEqual(lease + 2_000 - 500)
        t.expect(waited).toBeLessThan(15_000) // and then freed (all four answered: never held for ever)
      },
      60_000,
    )
  })
}

function expect429s(t: CapacityApi, s: Simulator, answered: number) {
  t.expect(s.stats.ok).toBe(answered)
  t.expect(s.stats.rateLimited).toBeLessThanOrEqual(Math.floor(0.01 * s.stats.requests))
}

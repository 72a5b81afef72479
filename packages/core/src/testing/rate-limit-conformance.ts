import type { RateLimitPort, RateLimitRule } from '../store/rate-limit-port'
import { type Admission, checkAdmissions } from './admissions'
import type { ConformanceApi } from './conformance-api'
import { sleep } from './conformance-api'

const HOUR = 3_600_000

/**
 * Makes a first call early in a window (waiting for the next one when less than half is left),
 * so a timed test never straddles a window edge by accident. Returns that first decision.
 */
async function atWindowStart(p: RateLimitPort, key: string, rule: RateLimitRule) {
  const first = await p.consume(key, 1, rule)
  if (first.resetAt - Date.now() >= rule.windowMs / 2) return first
  await sleep(Math.max(0, first.resetAt - Date.now()) + 20)
  await p.reset(key)
  return p.consume(key, 1, rule)
}

/**
 * The rate-limit port's contract. `port()` gives the port of a fresh store. Time comes from the
 * backend, so the timed checks sleep real time (windows of a second or two).
 */
export function rateLimitConformance(
  t: ConformanceApi,
  name: string,
  port: () => Promise<RateLimitPort>,
): void {
  const { describe, it, expect } = t
  const fixed = (limit: number, windowMs = HOUR): RateLimitRule => ({
    algorithm: 'fixed-window',
    limit,
    windowMs,
  })
  const sliding = (limit: number, windowMs = HOUR): RateLimitRule => ({
    algorithm: 'sliding-window',
    limit,
    windowMs,
  })
  const log = (limit: number, windowMs = HOUR): RateLimitRule => ({
    algorithm: 'sliding-log',
    limit,
    windowMs,
  })
  const bucket = (limit: number, windowMs = HOUR): RateLimitRule => ({
    algorithm: 'token-bucket',
    limit,
    windowMs,
  })

  describe(`${name}: rateLimit port`, () => {
    for (const rule of [fixed(5), sliding(5), log(5), bucket(5)]) {
      it(`${rule.algorithm}: admits exactly the limit, then denies with a retry hint`, async () => {
        const p = await port()
        const decisions = []
        for (let i = 0; i < 7; i++) decisions.push(await p.consume('k', 1, rule))
        expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false])
        expect(decisions.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0, 0])
        const denied = decisions[5]!
        expect(denied.limit).toBe(5)
        expect(denied.retryAfterMs).toBeGreaterThan(0)
        // A log counts a call's bucket (a hundredth of the window) whole: it leaves up to one bucket later.
        expect(denied.retryAfterMs).toBeLessThanOrEqual(rule.algorithm === 'sliding-log' ? HOUR * 1.01 : HOUR)
        expect(denied.resetAt).toBeGreaterThan(Date.now() - 5_000)
        expect(decisions[0]!.retryAfterMs).toBe(0)
      })

      it(`${rule.algorithm}: exact under 200 concurrent callers`, async () => {
        const p = await port()
        const big = { ...rule, limit: 50 }
        const results = await Promise.all(Array.from({ length: 200 }, () => p.consume('hot', 1, big)))
        expect(results.filter((r) => r.allowed).length).toBe(50)
      })

      it(`${rule.algorithm}: cost per call; a denied call consumes nothing`, async () => {
        const p = await port()
        const r = { ...rule, limit: 10 }
        expect((await p.consume('c', 4, r)).allowed).toBe(true)
        expect((await p.consume('c', 4, r)).allowed).toBe(true)
        const denied = await p.consume('c', 4, r)
        expect(denied.allowed).toBe(false)
        expect(denied.remaining).toBe(2)
        const fits = await p.consume('c', 2, r)
        expect(fits.allowed).toBe(true)
        expect(fits.remaining).toBe(0)
      })

      it(`${rule.algorithm}: a negative cost gives units back`, async () => {
        const p = await port()
        for (let i = 0; i < 5; i++) await p.consume('g', 1, rule)
        expect((await p.consume('g', 1, rule)).allowed).toBe(false)
        await p.consume('g', -1, rule)
        expect((await p.consume('g', 1, rule)).allowed).toBe(true)
      })

      it(`${rule.algorithm}: peek does not consume; reset clears`, async () => {
        const p = await port()
        await p.consume('p', 3, rule)
        expect((await p.peek('p', rule)).remaining).toBe(2)
        expect((await p.peek('p', rule)).remaining).toBe(2)
        await p.reset('p')
        expect((await p.peek('p', rule)).remaining).toBe(5)
      })
    }

    it('sustained load from 24 concurrent callers over 5 windows: every window within its bound', async () => {
      const p = await port()
      const rules = [fixed(20, 1000), sliding(20, 1000), log(20, 1000), bucket(20, 1000)]
      const admitted = rules.map(() => [] as Admission[])
      const until = Date.now() + 5_500
      await Promise.all(
        rules.flatMap((rule, r) =>
          Array.from({ length: 8 }, async () => {
            while (Date.now() < until) {
              const d = await p.consume(`sustained-${r}`, 1, rule)
              if (d.allowed) admitted[r]!.push({ resetAt: d.resetAt, remaining: d.remaining })
              await new Promise((resolve) => setImmediate(resolve)) // let timers and I/O run
            }
          }),
        ),
      )
      for (const [r, rule] of rules.entries()) {
        const check = checkAdmissions(rule, admitted[r]!, { saturated: true })
        expect(check.problems).toEqual([])
        if (rule.algorithm !== 'token-bucket') expect(check.perWindow.length).toBeGreaterThanOrEqual(4)
      }
    }, 20_000)

    it("consumeAll decides a call's counters together: all recorded, or none", async () => {
      const p = await port()
      const a = { key: 'rl:ask:{u}', cost: 1, rule: fixed(3) }
      const b = { key: 'daily:{u}', cost: 1, rule: sliding(1) }
      const first = await p.consumeAll([a, b])
      expect(first.map((d) => d.allowed)).toEqual([true, true])
      const second = await p.consumeAll([a, b])
      expect(second.map((d) => d.allowed)).toEqual([true, false]) // a alone would fit; b refuses
      expect((await p.peek(a.key, a.rule)).remaining).toBe(2) // so a was not charged
      const tpm = { key: 'tpm:{u}', cost: 4, rule: bucket(5) }
      expect((await p.consumeAll([tpm, { ...a, cost: 1 }])).every((d) => d.allowed)).toBe(true)
      expect((await p.consumeAll([tpm, a])).map((d) => d.allowed)).toEqual([false, true])
      expect((await p.peek(tpm.key, tpm.rule)).remaining).toBe(1)
      expect((await p.peek(a.key, a.rule)).remaining).toBe(1)
    })

    it('consumeAll is exact under 100 concurrent callers: the tighter counter decides for both', async () => {
      const p = await port()
      const daily = { key: 'daily:{c}', cost: 1, rule: fixed(10) }
      const endpoint = { key: 'rl:e:{c}', cost: 1, rule: fixed(50) }
      const results = await Promise.all(Array.from({ length: 100 }, () => p.consumeAll([daily, endpoint])))
      expect(results.filter((r) => r.every((d) => d.allowed)).length).toBe(10)
      expect((await p.peek(daily.key, daily.rule)).remaining).toBe(0)
      expect((await p.peek(endpoint.key, endpoint.rule)).remaining).toBe(40)
    })

    it('keys are independent, including look-alike keys', async () => {
      const p = await port()
      const rule = fixed(1)
      const keys = ['a', 'a:b', 'a%3Ab', '{a}', 'ü', 'a ', 'x:{a}', 'x:{a}:', '{a}{a}', 'a}', '%7Ba%7D']
      const results = await Promise.all(keys.map((k) => p.consume(k, 1, rule)))
      expect(results.every((r) => r.allowed)).toBe(true)
      expect((await p.consume('a', 1, rule)).allowed).toBe(false)
    })

    it('fixed-window: the window resets after retryAfterMs', async () => {
      const p = await port()
      const rule = fixed(2, 1000)
      await atWindowStart(p, 'w', rule)
      await p.consume('w', 1, rule)
      const denied = await p.consume('w', 1, rule)
      expect(denied.allowed).toBe(false)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(1000)
      await sleep(denied.retryAfterMs + 50)
      expect((await p.consume('w', 1, rule)).allowed).toBe(true)
    }, 10_000)

    it('sliding-window: the previous window still counts just after the edge', async () => {
      const p = await port()
      const rule = sliding(5, 2000)
      const first = await atWindowStart(p, 's', rule)
      for (let i = 0; i < 4; i++) await p.consume('s', 1, rule)
      await sleep(first.resetAt - Date.now() + 50)
      let admitted = 0
      for (let i = 0; i < 5; i++) if ((await p.consume('s', 1, rule)).allowed) admitted++
      expect(admitted).toBeLessThan(5)
      const denied = await p.consume('s', 1, rule)
      expect(denied.allowed).toBe(false)
      await sleep(denied.retryAfterMs + 50)
      expect((await p.consume('s', 1, rule)).allowed).toBe(true)
    }, 15_000)

    it('sliding-log: calls bunched at a window edge never let more than the limit into any window', async () => {
      const p = await port()
      const rule = log(4, 1500)
      // Two at once, two more half a window later, then at the edge of the first pair's window:
      // only the first pair has left by then.
      expect((await p.consumeAll([{ key: 'e', cost: 2, rule }]))[0]!.allowed).toBe(true)
      await sleep(750)
      expect((await p.consume('e', 2, rule)).allowed).toBe(true)
      const full = await p.consume('e', 1, rule)
      expect(full.allowed).toBe(false)
      expect(full.retryAfterMs).toBeGreaterThan(600) // the first pair leaves ~750 ms from now
      expect(full.retryAfterMs).toBeLessThanOrEqual(800)
      await sleep(full.retryAfterMs + 30)
      const [a, b, c] = [
        await p.consume('e', 1, rule),
        await p.consume('e', 1, rule),
        await p.consume('e', 1, rule),
      ]
      expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]) // the second pair still counts
      expect(c.retryAfterMs).toBeGreaterThan(400)
    }, 10_000)

    it('token-bucket: refills at limit per window', async () => {
      const p = await port()
      const rule = bucket(5, 5000) // one token a second
      for (let i = 0; i < 5; i++) await p.consume('b', 1, rule)
      const denied = await p.consume('b', 1, rule)
      expect(denied.allowed).toBe(false)
      expect(denied.retryAfterMs).toBeLessThanOrEqual(1000)
      await sleep(denied.retryAfterMs + 30)
      expect((await p.consume('b', 1, rule)).allowed).toBe(true)
      expect((await p.consume('b', 1, rule)).allowed).toBe(false)
    }, 10_000)
  })
}

// The app-wide budget tests, the same for every shared store: four processes, each an app
// instance on one store, 400 concurrent calls from 40 users against one app-wide daily budget.
import type { Simulator, startSimulator } from '@sluice/simulator'
import { runTogether } from './processes'

interface Report {
  ok: number
  costUsd: number
  errors: Record<string, number>
  completionTokens: number[]
  appSpendUsd: number
}

interface BudgetApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): {
    toBe(v: unknown): void
    toEqual(v: unknown): void
    toBeLessThanOrEqual(n: number): void
    toBeGreaterThan(n: number): void
    toBeCloseTo(n: number, digits?: number): void
  }
  afterEach(fn: () => Promise<void>): void
}

export interface BudgetTestOptions {
  name: string
  /** The fixture that runs one instance: argv = namespace, then the scenario's. */
  script: string
  env: NodeJS.ProcessEnv
  namespace(test: string): string
  startSimulator: typeof startSimulator
}

const MAX_TOKENS = 200
// deepseek-chat: $0.28 in, $0.42 out per million. A call's most (its estimate before any answer
// is seen): its prompt (~16 tokens here, by Sluice's estimate) and max_tokens of output.
const ONE_CALL = (40 * 0.28 + MAX_TOKENS * 0.42) / 1_000_000
const sum = (rs: Report[], pick: (r: Report) => number) => rs.reduce((n, r) => n + pick(r), 0)

export function budgetTests(t: BudgetApi, o: BudgetTestOptions): void {
  const sims: Simulator[] = []
  t.afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.close()))
  })
  const run = async (test: string, mode: 'estimate' | 'strict', longAnswers: boolean, daily: number) => {
    const sim = await o.startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 30 }, longAnswers })
    sims.push(sim)
    const args = [o.namespace(test), mode, sim.url, 10, 10, daily, MAX_TOKENS].map(String)
    const reports = await runTogether<Report>(o.script, [args, args, args, args], o.env, 2)
    return { reports, sim }
  }

  t.describe(`${o.name}: an app-wide daily budget, shared by a fleet of four`, () => {
    t.it(
      '400 calls from 40 users at once: the spend reaches the budget and stays within it and one call’s estimate',
      async () => {
        const daily = 0.004 // about half of what the 400 calls would cost
        const { reports, sim } = await run('estimate', 'estimate', false, daily)
        const spent = sum(reports, (r) => r.costUsd)
        console.log(
          `${o.name} app budget (estimate): ${sum(reports, (r) => r.ok)} answered, $${spent.toFixed(6)} of $${daily}`,
        )
        t.expect(spent).toBeGreaterThan(daily - 2 * ONE_CALL) // refused only once it was spent
        t.expect(spent).toBeLessThanOrEqual(daily + ONE_CALL)
        // What the store holds is what the answers cost, on every instance.
        for (const r of reports) t.expect(r.appSpendUsd).toBeCloseTo(spent, 9)
        t.expect(sim.stats.ok).toBe(sum(reports, (r) => r.ok)) // a refused call sent nothing
        const codes = Object.keys(Object.assign({}, ...reports.map((r) => r.errors)))
        t.expect(codes).toEqual(['budget_exceeded'])
      },
      60_000,
    )

    t.it(
      'strict: the same with every answer as long as max_tokens allows, and the spend is within the budget exactly',
      async () => {
        const daily = 0.006 // about 68 answers of 200 tokens
        const { reports } = await run('strict', 'strict', true, daily)
        const spent = sum(reports, (r) => r.costUsd)
        const tokens = reports.flatMap((r) => r.completionTokens)
        console.log(
          `${o.name} app budget (strict): ${tokens.length} answered, $${spent.toFixed(6)} of $${daily}`,
        )
        t.expect(tokens.length).toBeGreaterThan(50)
        t.expect(spent).toBeGreaterThan(daily - ONE_CALL)
        t.expect(spent).toBeLessThanOrEqual(daily + 1e-12)
        for (const r of reports) t.expect(r.appSpendUsd).toBeCloseTo(spent, 9)
        // Every answer ran to its max_tokens: whole while the budget had room, then cut to what it had left.
        t.expect(tokens.filter((n) => n === MAX_TOKENS).length).toBeGreaterThan(40)
      },
      60_000,
    )
  })
}

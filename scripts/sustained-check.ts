// Parent side of the sustained multi-process tests: merges what every process admitted and checks
// each algorithm window by window with the core's checker.
import { type Admission, checkAdmissions } from '../packages/core/src/testing/admissions'
import { runTogether } from './processes'
import { ALGORITHMS } from './sustain-when-told.mjs'

export interface SustainOutput {
  fixed: [number, number][]
  sliding: [number, number][]
  log: [number, number][]
  bucket: [number, number][]
  calls: number
  errors: number
  error: string
}

export function sustainedProblems(outputs: SustainOutput[], limit: number, windowMs: number) {
  const report: Record<string, { windows: number[]; problems: string[] }> = {}
  for (const [name, algorithm] of Object.entries(ALGORITHMS) as [keyof typeof ALGORITHMS, string][]) {
    const admitted: Admission[] = outputs.flatMap((o) =>
      o[name].map(([resetAt, remaining]) => ({ resetAt, remaining })),
    )
    const rule = { algorithm: algorithm as 'fixed-window', limit, windowMs }
    const check = checkAdmissions(rule, admitted, { saturated: true })
    report[name] = { windows: check.perWindow, problems: check.problems }
  }
  return report
}

/**
 * Four processes run `script` with `args` at one signal (each keeps one key per algorithm busy,
 * limit 50 a 1 s window); returns their outputs and the window-by-window check of all of them.
 */
export async function runSustained(label: string, script: string, args: string[], env: NodeJS.ProcessEnv) {
  const outputs = await runTogether<SustainOutput>(script, [args, args, args, args], env)
  const report = sustainedProblems(outputs, 50, 1000)
  const windows = Object.fromEntries(Object.entries(report).map(([k, v]) => [k, v.windows]))
  console.log(`${label} sustained, admitted per window:`, JSON.stringify(windows))
  return { outputs, report }
}

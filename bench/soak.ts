// `pnpm bench soak`: the soak on Redis, then on PostgreSQL, for SOAK_MINUTES minutes each (10 by
// default), one line a minute; the figures that must be 0 at the end.
import { cpus, totalmem } from 'node:os'
import { runSoak } from './soak/run-soak'
import { SOAK } from './soak/soak-config.mjs'
import { flatnessLine } from './soak/soak-flatness'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const STORES = (process.env.SOAK_STORES ?? 'redis,postgres').split(',') as ('redis' | 'postgres')[]

export async function soak(): Promise<void> {
  console.log(
    `${MINUTES} min per store; 2 app processes (40 calls/s each: ${SOAK.mix.map(([k, w]) => `${k} ${w * 100}%`).join(', ')}) and 2 worker processes; ${SOAK.users.toLocaleString('en')} users, ${SOAK.hotUsers} of them hot (${SOAK.hotShare * 100}% of the calls: at their limit of ${SOAK.limit} calls per endpoint per ${SOAK.windowMs / 1000} s and their budget of $${SOAK.budgetUsd} a day); worker 0 killed -9 at 1/3, the store killed -9 (Redis, append-only file) or shut down fast (PostgreSQL) and restarted at 2/3`,
  )
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  )
  for (const store of STORES) {
    console.log(`\n-- ${store} --`)
    const r = await runSoak({ store, durationMs: MINUTES * 60_000 })
    console.log(
      `${store}: ${r.calls} calls, jobs ${JSON.stringify(r.jobs)}; lost ${r.lost}, over-limit ${r.overLimit}, over-budget ${r.overBudget}, stalls ${r.stalls}; kills ${r.kills}, store restarts ${r.restarts}; refusals ${JSON.stringify(r.errors)}`,
    )
    console.log(`${store}: ${flatnessLine(r.flatness, r.warmUpMs)}`)
  }
}

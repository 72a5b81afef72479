// `pnpm bench soak`: the soak on Redis, then on PostgreSQL, for SOAK_MINUTES minutes each (10 by
// default), one line a minute; the figures that must be 0 at the end.
import { cpus, totalmem } from 'node:os'
import { runSoak } from './soak/run-soak'

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10)
const STORES = (process.env.SOAK_STORES ?? 'redis,postgres').split(',') as ('redis' | 'postgres')[]

export async function soak(): Promise<void> {
  console.log(
    `${MINUTES} min per store; 2 app processes (40 calls/s each: chats, streams, queued chats, batched translations, queue jobs) and 2 worker processes; 100,000 users (20 hot ones at their limits and budget); worker 0 killed -9 at 1/3, the store restarted at 2/3`,
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
  }
}

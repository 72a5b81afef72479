// `pnpm bench` runs every benchmark; `pnpm bench overhead`, `… rate-limit`, `… memory`, `… fleet`, `… queue`, `… batching`, `… capacity`, `… scale` or `… soak` runs one.
import { batching } from './batching'
import { capacity } from './capacity'
import { fleet } from './fleet'
import { memory } from './memory'
import { overhead } from './overhead'
import { queue } from './queue'
import { rateLimit } from './rate-limit'
import { scale } from './scale'
import { soak } from './soak'

const benches: Record<string, () => Promise<void>> = {
  overhead,
  'rate-limit': rateLimit,
  memory,
  fleet,
  queue,
  batching,
  capacity,
  scale,
  soak,
}
const wanted = process.argv.slice(2).filter((a) => a !== '--')
const unknown = wanted.filter((w) => !(w in benches))
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')}; choose from ${Object.keys(benches).join(', ')}`)
  process.exit(2)
}
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  console.log(`\n== ${name} ==`)
  await benches[name]!()
}
// Every bench closes what it opened; a competitor's client may still keep a timer (pg-boss's
// offWork waits in a loop for workers it has stopped), so the run ends here when they are done.
process.exit(0)

// Child side of a multi-round runTogether() (scripts/processes.ts): `barrier()` says "ready" and
// resolves when the parent says go — after every process of the run has reached the same barrier.
import { createInterface } from 'node:readline'

const lines = []
let waiting
const input = createInterface({ input: process.stdin })
input.on('line', (line) => {
  if (waiting) {
    const w = waiting
    waiting = undefined
    w(line)
  } else lines.push(line)
})

export function barrier() {
  console.log('ready')
  return lines.length > 0 ? Promise.resolve(lines.shift()) : new Promise((resolve) => (waiting = resolve))
}

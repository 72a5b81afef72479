/** Times `fn` sequentially: per-call microseconds (p50, p99) and calls per second. */
export async function measure(fn: (i: number) => Promise<unknown>, calls: number, warmup = 2000) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i)
  const samples = new Float64Array(calls)
  const start = performance.now()
  for (let i = 0; i < calls; i++) {
    const t = performance.now()
    await fn(i)
    samples[i] = (performance.now() - t) * 1000
  }
  const totalMs = performance.now() - start
  samples.sort()
  const at = (p: number) => samples[Math.min(calls - 1, Math.floor(p * calls))]!
  return { p50: at(0.5), p99: at(0.99), perSec: (calls / totalMs) * 1000 }
}

export type Figures = Awaited<ReturnType<typeof measure>>

export function printTable(title: string, rows: [string, Figures][]): void {
  console.log(`\n${title}`)
  console.log(
    `${'case'.padEnd(44)} ${'p50 µs'.padStart(9)} ${'p99 µs'.padStart(9)} ${'calls/s'.padStart(10)}`,
  )
  for (const [name, f] of rows) {
    console.log(
      `${name.padEnd(44)} ${f.p50.toFixed(1).padStart(9)} ${f.p99.toFixed(1).padStart(9)} ${Math.round(f.perSec).toString().padStart(10)}`,
    )
  }
}

/** Calls per second with `parallel` callers sharing `total` calls. */
export async function throughput(
  fn: (i: number) => Promise<unknown>,
  total: number,
  parallel: number,
): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < total) await fn(next++)
    }),
  )
  return (total / (performance.now() - start)) * 1000
}

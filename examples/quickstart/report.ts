// Prints the demo's closing summary as an aligned table.

export function table(title: string, rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  const values = rows.map(([, v]) => String(v))
  const vWidth = Math.max(...values.map((v) => v.length))
  const line = `+${'-'.repeat(width + 2)}+${'-'.repeat(vWidth + 2)}+`
  const body = rows.map(([k], i) => `| ${k.padEnd(width)} | ${values[i]!.padStart(vWidth)} |`)
  return [title, line, ...body, line].join('\n')
}

export const pct = (n: number) => `${(n * 100).toFixed(1)}%`
export const usd = (n: number) => `$${n.toFixed(6)}`
export const ms = (n: number) => `${n.toFixed(1)} ms`

export function progress(done: number, total: number, notes: string): void {
  const width = 30
  const filled = Math.round((done / total) * width)
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(done).padStart(4)}/${total} ${notes}`
  if (process.stdout.isTTY) process.stdout.write(`\r${bar}`)
  else if (done === total || done % Math.ceil(total / 10) === 0) console.log(bar)
}

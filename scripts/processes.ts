// Test helper: runs several Node processes that each get ready (connect, warm up), then all start
// at one signal, so the calls of every process really overlap. Each prints one JSON line last.
// With `rounds`, the processes meet at that many barriers (scripts/barrier.mjs): the parent says
// go to all of them only once every one has reached the barrier.
import { spawn } from 'node:child_process'

export async function runTogether<T>(
  script: string,
  argsList: string[][],
  env: NodeJS.ProcessEnv = process.env,
  rounds = 1,
): Promise<T[]> {
  const children = argsList.map((args) =>
    spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'inherit'] }),
  )
  const outputs = children.map(
    (child) =>
      new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d) => {
          out += d
        })
        child.on('error', reject)
        child.on('exit', (code) =>
          code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}: ${out}`)),
        )
      }),
  )
  // Wait until every process says it is ready, then let them all go at once; again per round.
  const readies = children.map((child) => {
    let count = 0
    let partial = ''
    const pending: { round: number; resolve: () => void }[] = []
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      count += lines.filter((l) => l.trim() === 'ready').length
      for (const p of pending.splice(0)) p.round <= count ? p.resolve() : pending.push(p)
    })
    return (round: number) =>
      new Promise<void>((resolve, reject) => {
        if (count >= round) return resolve()
        pending.push({ round, resolve })
        child.on('exit', () => reject(new Error(`${script} exited before round ${round}`)))
      })
  })
  for (let round = 1; round <= rounds; round++) {
    await Promise.all(readies.map((ready) => ready(round)))
    for (const child of children) child.stdin.write('go\n')
  }
  for (const child of children) child.stdin.end()
  const texts = await Promise.all(outputs)
  // Each process's last line of output is its JSON report.
  return texts.map((text) => JSON.parse(text.trim().split('\n').at(-1) ?? 'null') as T)
}

// Test helper: runs several Node processes that each get ready (connect, warm up), then all start
// at one signal, so the calls of every process really overlap. Each prints one JSON line.
import { spawn } from 'node:child_process'

export async function runTogether<T>(
  script: string,
  argsList: string[][],
  env: NodeJS.ProcessEnv = process.env,
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
  // Wait until every process says it is ready, then let them all go at once.
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          const onData = (d: Buffer) => {
            if (d.toString().includes('ready')) {
              child.stdout.off('data', onData)
              resolve()
            }
          }
          child.stdout.on('data', onData)
          child.on('exit', () => reject(new Error(`${script} exited before it was ready`)))
        }),
    ),
  )
  for (const child of children) child.stdin.end('go\n')
  const texts = await Promise.all(outputs)
  return texts.map((text) => JSON.parse(text.slice(text.lastIndexOf('{'))) as T)
}

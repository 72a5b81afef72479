// A Redis server of a test's own, on a free port, for tests that freeze, kill or restart it:
// never the shared one. Stopped by its PID; nothing is saved to disk unless asked (`appendOnly`:
// every write to an append-only file in a temporary directory before it is answered, so a kill
// and restart loses nothing, as a production server configured so would).
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface OwnRedis {
  port: number
  url: string
  readonly pid: number
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  freeze(): void
  /** SIGCONT. */
  thaw(): void
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => done(d.toString().includes('PONG')))
  })
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

export async function startOwnRedis(options: { appendOnly?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort()
  const dir = options.appendOnly ? mkdtempSync(join(tmpdir(), 'sluice-redis-')) : undefined
  const persistence = dir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]
    : ['--appendonly', 'no']
  let child: ChildProcess
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
      {
        stdio: 'ignore',
      },
    )
    child.on('error', () => {})
    for (let i = 0; i < 100; i++) {
      if (await pong(port)) return
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(
      `redis-server did not start on port ${port}; is redis-server installed (Debian: redis-server)?`,
    )
  }
  await launch()
  const onExit = () => child.kill('SIGKILL')
  process.on('exit', onExit)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!
    },
    freeze: () => process.kill(child.pid!, 'SIGSTOP'),
    thaw: () => process.kill(child.pid!, 'SIGCONT'),
    async kill() {
      child.kill('SIGKILL')
      await exited(child)
    },
    restart: launch,
    async stop() {
      process.off('exit', onExit)
      if (child.exitCode !== null || child.signalCode !== null) {
        if (dir) rmSync(dir, { recursive: true, force: true })
        return
      }
      process.kill(child.pid!, 'SIGCONT')
      child.kill('SIGTERM')
      await exited(child)
      if (dir) rmSync(dir, { recursive: true, force: true })
    },
  }
}

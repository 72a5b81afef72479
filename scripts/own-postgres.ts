// A PostgreSQL server of a test's own, for tests that freeze, kill or restart it: initdb into a
// temporary directory, the postmaster started directly (run as the `postgres` user when the test
// runs as root) on a free port, and stopped by its PID. Never the shared server.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './own-redis'

export interface OwnPostgres {
  port: number
  url: string
  readonly pid: number
  /** SIGSTOP to the postmaster and every backend. */
  freeze(): void
  thaw(): void
  /** SIGKILL to the postmaster and every backend: a crash, recovered from on the next start. */
  kill(): Promise<void>
  /** A fast shutdown (SIGINT): clients are disconnected, as in a restart. */
  shutdown(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

function bindir(): string {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error(
      'pg_config not found: install PostgreSQL server binaries (Debian: postgresql) to run fault tests',
    )
  }
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined // not root: initdb runs as this user
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }))
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }))
  return { uid, gid }
}

function accepting(bin: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-t', '1']
    execFile(join(bin, 'pg_isready'), args, (error) => resolve(!error))
  })
}

/** The postmaster's children (backends and helpers): each runs in a session of its own. */
function childrenOf(pid: number): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) found.push(Number(entry))
    } catch {} // it ended meanwhile
  }
  return found
}

function signalAll(pid: number, signal: NodeJS.Signals): void {
  const order = signal === 'SIGCONT' ? [...childrenOf(pid), pid] : [pid, ...childrenOf(pid)]
  for (const p of order) {
    try {
      process.kill(p, signal)
    } catch {} // it ended meanwhile
  }
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = bindir()
  const user = postgresUser()
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-'))
  if (user) chownSync(dir, user.uid, user.gid)
  const data = join(dir, 'data')
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
    {
      stdio: 'ignore',
      ...user,
    },
  )
  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let child: ChildProcess | undefined
  const settings = ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=60']
  const start = async () => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1']
    for (const s of settings) args.push('-c', s)
    child = spawn(join(bin, 'postgres'), args, { stdio: 'ignore', ...user })
    child.on('error', () => {})
    for (let i = 0; i < 150; i++) {
      if (await accepting(bin, port)) return
      if (child.exitCode !== null) break
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`postgres did not start on port ${port} (data in ${data})`)
  }
  // PostgreSQL puts each backend in a session of its own: signal them one by one.
  const group = (signal: NodeJS.Signals) => {
    if (child?.pid) signalAll(child.pid, signal)
  }
  await start()
  const onExit = () => group('SIGKILL')
  process.on('exit', onExit)
  return {
    port,
    url,
    get pid() {
      return child!.pid!
    },
    freeze: () => group('SIGSTOP'),
    thaw: () => group('SIGCONT'),
    async kill() {
      group('SIGKILL')
      await exited(child!)
    },
    async shutdown() {
      child!.kill('SIGINT')
      await exited(child!)
    },
    start,
    async stop() {
      process.off('exit', onExit)
      if (child && child.exitCode === null && child.signalCode === null) {
        group('SIGCONT')
        child.kill('SIGINT')
        await exited(child)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

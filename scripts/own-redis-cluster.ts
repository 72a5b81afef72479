// A Redis Cluster of a test's own: three masters on free ports, no replicas, nothing saved,
// its cluster files in a temporary directory. Stopped by PID; never the shared server.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './own-redis'

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface OwnRedisCluster {
  nodes: { host: string; port: number }[]
  stop(): Promise<void>
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()))

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args])
  return stdout
}

export async function startOwnRedisCluster(size = 3): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cluster-'))
  const ports: number[] = []
  const children: ChildProcess[] = []
  const stop = async () => {
    process.off('exit', onExit)
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM')
    await Promise.all(children.map(exited))
    rmSync(dir, { recursive: true, force: true })
  }
  const onExit = () => {
    for (const c of children) c.kill('SIGKILL')
  }
  process.on('exit', onExit)
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort()
      ports.push(port)
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      )
      child.on('error', () => {})
      children.push(child)
    }
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if ((await cli(port, 'PING').catch(() => '')).includes('PONG')) break
        if (i === 100)
          throw new Error(
            `redis-server did not start on port ${port}; is redis-server installed (Debian: redis-server)?`,
          )
        await sleep(100)
      }
    }
    await cli(
      ports[0]!,
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    )
    for (const port of ports) {
      for (let i = 0; !(await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'); i++) {
        if (i === 100) throw new Error(`the cluster on ports ${ports.join(', ')} did not come up`)
        await sleep(100)
      }
    }
    return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

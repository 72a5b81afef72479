// Makes sure the real Redis and PostgreSQL the adapter tests need are running, starting local
// ones when they are not. Uses REDIS_URL / DATABASE_URL when set. Fails with how-to-start text.
import { execSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { connect } from 'node:net'
import { pathToFileURL } from 'node:url'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const HOW = {
  redis: `start Redis with: redis-server --daemonize yes --port 6379 --save ""  (or set REDIS_URL)`,
  postgres:
    'start PostgreSQL with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start  (or set DATABASE_URL)',
}

function reachable(url, payload, expect) {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port) })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1500, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => (payload ? socket.write(payload) : done(true)))
    socket.on('data', (d) => done(expect ? d.toString().includes(expect) : true))
  })
}

const redisUp = () => reachable(REDIS_URL, 'PING\r\n', 'PONG')
const postgresUp = () => reachable(DATABASE_URL)

function tryRun(cmd) {
  try {
    execSync(cmd, { stdio: 'ignore', timeout: 30_000 })
    return true
  } catch {
    return false
  }
}

async function waitFor(check, ms) {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 250))
  }
  return false
}

const isLocal = (url) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(url).hostname)

async function ensureRedis() {
  if (await redisUp()) return 'running'
  if (!process.env.REDIS_URL || isLocal(REDIS_URL)) {
    const port = new URL(REDIS_URL).port || '6379'
    tryRun(`redis-server --daemonize yes --port ${port} --save "" --appendonly no`)
    if (await waitFor(redisUp, 10_000)) return 'started'
  }
  throw new Error(`Redis is not reachable at ${REDIS_URL}; ${HOW.redis}`)
}

async function ensurePostgres() {
  if (await postgresUp()) return 'running'
  if (!process.env.DATABASE_URL || isLocal(DATABASE_URL)) {
    let versions = []
    try {
      versions = readdirSync('/etc/postgresql')
    } catch {}
    for (const v of versions) tryRun(`pg_ctlcluster --skip-systemctl-redirect ${v} main start`)
    if (await waitFor(postgresUp, 20_000)) return 'started'
  }
  throw new Error(`PostgreSQL is not reachable at ${DATABASE_URL}; ${HOW.postgres}`)
}

export async function ensureServices() {
  const [redis, postgres] = await Promise.all([ensureRedis(), ensurePostgres()])
  return { redis, postgres }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureServices().then(
    (s) => console.log(`services: redis ${s.redis} (${REDIS_URL}), postgres ${s.postgres} (${DATABASE_URL})`),
    (error) => {
      console.error(`services: ${error.message}`)
      process.exit(1)
    },
  )
}

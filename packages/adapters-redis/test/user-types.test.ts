// An app that uses ioredis and nothing else (no @upstash/redis, no pg) type-checks against the
// built packages under strict settings, libraries' types included (no skipLibCheck): no public
// type of Sluice imports a peer the app did not install.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { afterAll, describe, expect, it } from 'vitest'
import { type Consumer, consumer } from '../../../scripts/consumer-fixture'

const made: Consumer[] = []
afterAll(() => {
  for (const c of made) c.remove()
})

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const APP = `import { createSluice, deepseek, SluiceError, type Stats } from '@sluice/core'
import { redisStore } from '@sluice/redis'
import { Cluster, Redis } from 'ioredis'

const store = redisStore({ client: new Redis({ lazyConnect: true }), prefix: 'app' })
redisStore({ client: new Cluster([{ host: '127.0.0.1', port: 7000 }], { lazyConnect: true }) })
const sluice = createSluice({ store, providers: [deepseek({ apiKey: 'k' })] })
export async function ask(text: string): Promise<string> {
  try {
    const res = await sluice.chat({ model: 'deepseek-chat', messages: [{ role: 'user', content: text }] }, { userId: 'u' })
    return res.choices[0]?.message.content ?? ''
  } catch (error) {
    if (SluiceError.is(error, 'rate_limited')) return 'later'
    throw error
  }
}
export const stats = (): Promise<Stats> => sluice.stats()
`

function typecheck(app: string, deps: [string, string][]): { status: number | null; output: string } {
  const c = consumer(['packages/core', 'packages/adapters-redis'], deps)
  made.push(c)
  c.write('package.json', JSON.stringify({ type: 'module' }))
  c.write(
    'tsconfig.json',
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        noEmit: true,
        types: ['node'],
      },
      files: ['app.ts'],
    }),
  )
  c.write('app.ts', app)
  const run = spawnSync(process.execPath, [tsc, '-p', c.dir], { encoding: 'utf8' })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

const IOREDIS_ONLY: [string, string][] = [
  ['zod', 'packages/core'],
  ['ioredis', 'packages/adapters-redis'],
  ['@types/node', '.'],
]

describe('types for an ioredis-only app', () => {
  it('strict tsc without skipLibCheck passes against the built packages', () => {
    expect(typecheck(APP, IOREDIS_ONLY)).toEqual({ status: 0, output: '' })
  }, 60_000)

  it('and the check can fail: the same app importing @upstash/redis, which it lacks, does not compile', () => {
    const result = typecheck(
      `import type { Redis } from '@upstash/redis'\nexport type R = Redis\n${APP}`,
      IOREDIS_ONLY,
    )
    expect(result.status).not.toBe(0)
    expect(result.output).toContain("Cannot find module '@upstash/redis'")
  }, 60_000)
})

import { describe, expect, it } from 'vitest'
import { compose } from './compose'
import type { Call, Middleware } from './types'
import { named } from './types'

const call = { meta: {}, state: {} } as unknown as Call

describe('compose', () => {
  it('runs middlewares in order around the terminal', async () => {
    const seen: string[] = []
    const mw = (name: string): Middleware =>
      named(name, async (_c, next) => {
        seen.push(`>${name}`)
        const out = await next()
        seen.push(`<${name}`)
        return out
      })
    const run = compose([mw('a'), mw('b')], async () => {
      seen.push('terminal')
      return { value: 42 }
    })
    expect(await run(call)).toEqual({ value: 42 })
    expect(seen).toEqual(['>a', '>b', 'terminal', '<b', '<a'])
  })

  it('refuses next() twice, naming the middleware', async () => {
    const twice = named('greedy', async (_c, next) => {
      await next()
      return next()
    })
    let upstream = 0
    const run = compose([twice], async () => {
      upstream++
      return { value: 1 }
    })
    await expect(run(call)).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('greedy'),
    })
    expect(upstream).toBe(1)
  })

  it('lets a middleware answer without calling next()', async () => {
    const run = compose([named('short', async () => ({ value: 'cached' }))], async () => {
      throw new Error('should not run')
    })
    expect(await run(call)).toEqual({ value: 'cached' })
  })
})

import { type Simulator, startSimulator } from '@sluice/simulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHttp } from '../errors/to-http'
import { deepseek } from '../providers/deepseek'
import { QueueClient } from '../queue/queue-client'
import { createSluice } from './create-sluice'

let ds: Simulator
beforeAll(async () => {
  ds = await startSimulator({ profile: 'deepseek', latencyMs: { min: 0, max: 1 } })
})
afterAll(() => ds.close())
const build = () => createSluice({ providers: [deepseek({ baseURL: ds.url })] })

describe('cache keys and ids', () => {
  it('gives a different key to every input it accepts: dates, maps, URLs, own __proto__ keys', async () => {
    const sluice = build()
    let runs = 0
    const report = async (input: unknown) => {
      runs++
      return { report: `for ${String(runs)}`, input: String(input) }
    }
    const pairs: [unknown, unknown][] = [
      [{ date: new Date('2026-01-01') }, { date: new Date('2020-01-01') }],
      [new Map([['year', 2026]]), new Map([['year', 2020]])],
      [new URL('https://example.com/2026'), new URL('https://example.com/2020')],
      [JSON.parse('{"__proto__": {"year": 2026}}'), JSON.parse('{"__proto__": {"year": 2020}}')],
      [{ when: new Date('2026-01-01') }, { when: '2026-01-01T00:00:00.000Z' }],
    ]
    for (const [a, b] of pairs) {
      const before = runs
      const first = await sluice.call('report', a, { userId: 'u' }, report)
      const second = await sluice.call('report', b, { userId: 'u' }, report)
      expect(runs - before).toBe(2) // the 2026 input is not answered with the 2020 report
      expect(second).not.toEqual(first)
      await sluice.call('report', a, { userId: 'u' }, report)
      expect(runs - before).toBe(2) // and the same input is a hit
    }
    class Opaque {
      secret = 1
    }
    for (const input of [new Opaque(), /regex/, () => 1, 10n]) {
      const e = await sluice.call('report', input, { userId: 'u' }, report).catch((x) => x)
      expect(e).toMatchObject({ code: 'invalid_request', path: 'input' })
    }
    await sluice.close()
  })

  it('refuses user ids with lone surrogates, blanks or control characters with invalid_request (400)', async () => {
    const sluice = build()
    const before = ds.stats.requests
    const request = { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: 'hi' }] }
    for (const userId of ['\ud800', 'x\udfff', ' ', '\t\t', 'a\nb', 'nul\u0000', 'bell\u0007', 'c1\u0085']) {
      const e = await sluice.chat(request, { userId }).catch((x) => x)
      expect(e).toMatchObject({ code: 'invalid_request', path: 'ctx.userId' })
      expect(toHttp(e).status).toBe(400)
      const c = await sluice.call('e', 'x', { userId }, async () => 'ran').catch((x) => x)
      expect(c).toMatchObject({ code: 'invalid_request', path: 'ctx.userId' })
    }
    for (const endpoint of ['\ud800', 'a\nb', '  ']) {
      const e = await sluice.chat(request, { userId: 'u', endpoint }).catch((x) => x)
      expect(e).toMatchObject({ code: 'invalid_request', path: 'ctx.endpoint' })
    }
    expect(ds.stats.requests).toBe(before)
    await sluice.close()
  })

  it('invalidate({ type, input }) removes what the chain stored for that request', async () => {
    const sluice = createSluice({
      providers: [deepseek({ baseURL: ds.url })],
      limits: { translate: { limit: 100, window: '1m' } },
      cache: {
        types: { translate: 'translation', tutor: 'tutor' },
        ttl: { translation: '24h' },
        userScoped: ['tutor'],
      },
    })
    const request = {
      model: 'deepseek-chat',
      messages: [{ role: 'user' as const, content: 'Translate: hello' }],
    }
    const before = ds.stats.requests
    await sluice.chat(request, { userId: 'u', endpoint: 'translate' })
    expect((await sluice.chat(request, { userId: 'v', endpoint: 'translate' })).sluice.cached).toBe(true)
    expect(await sluice.cache.invalidate({ type: 'translation', input: request })).toBe(1)
    expect((await sluice.chat(request, { userId: 'v', endpoint: 'translate' })).sluice.cached).toBe(false)
    expect(ds.stats.requests - before).toBe(2)
    expect(sluice.cache.ttlFor('translation')).toBe(86_400_000)
    // A per-user type needs to be told whose entry to drop.
    await sluice.chat(request, { userId: 'ana', endpoint: 'tutor' })
    await expect(sluice.cache.invalidate({ type: 'tutor', input: request })).rejects.toMatchObject({
      path: 'userId',
    })
    expect(await sluice.cache.invalidate({ type: 'tutor', input: request, userId: 'ana' })).toBe(1)
    await sluice.close()
  })

  it("queue.status without a userId does not hand out another user's job: skipping ownership is explicit", async () => {
    const queue = new QueueClient()
    const { id } = await queue.enqueue({ type: 't', userId: 'ana', data: 'private' })
    await expect(queue.status(id, {} as never)).rejects.toMatchObject({
      code: 'invalid_request',
      path: 'userId',
    })
    await expect((queue.status as (id: string) => Promise<unknown>)(id)).rejects.toMatchObject({
      code: 'invalid_request',
    })
    await expect(queue.status(id, { userId: 'eve' })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(queue.wait(id, { userId: 'eve', timeout: 10 })).rejects.toMatchObject({ code: 'forbidden' })
    await expect(queue.cancel(id, { userId: 'eve' })).rejects.toMatchObject({ code: 'forbidden' })
    expect((await queue.status(id, { userId: 'ana' })).status).toBe('pending')
    expect((await queue.status(id, { anyUser: true })).status).toBe('pending')
  })
})

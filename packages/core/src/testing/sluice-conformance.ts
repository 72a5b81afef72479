import type { ChatCompletion, Provider } from '../providers/types'
import { createSluice } from '../sluice/create-sluice'
import type { Store } from '../store/store'
import type { ConformanceApi } from './conformance-api'

/** Answers (after `delayMs`) and counts its calls: the provider is not what these checks are about. */
function countingProvider(delayMs = 0) {
  const provider = {
    name: 'counting',
    models: ['m'],
    defaultModel: 'm',
    calls: 0,
    async chat(): Promise<ChatCompletion> {
      provider.calls++
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
      return {
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      }
    },
    async *stream() {},
  } satisfies Provider & { calls: number }
  return provider
}

/** End to end through createSluice: app instances that share a store share its limits. */
export function sluiceConformance(t: ConformanceApi, name: string, store: () => Promise<Store>): void {
  t.describe(`${name}: createSluice on this store`, () => {
    t.it('two app instances sharing the store enforce one rate limit together', async () => {
      const shared = await store()
      const provider = countingProvider()
      const make = () =>
        createSluice({
          store: shared,
          providers: [provider],
          tiers: { free: { limits: { ask: { limit: 5, window: '1m' } } } },
          cache: { enabled: false },
        })
      const [a, b] = [make(), make()]
      t.expect(a.storeReport().rateLimit).toBe('store')
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? a : b).chat(
            { model: 'm', messages: [{ role: 'user', content: `q${i}` }] },
            { userId: 'ana', tier: 'free', endpoint: 'ask' },
          ),
        ),
      )
      t.expect(results.filter((r) => r.status === 'fulfilled').length).toBe(5)
      const codes = results.flatMap((r) =>
        r.status === 'rejected' ? [(r.reason as { code?: string }).code] : [],
      )
      t.expect(codes.every((c) => c === 'rate_limited')).toBe(true)
      t.expect(provider.calls).toBe(5)
    })

    t.it('hostile user ids are refused with invalid_request before they reach the store', async () => {
      const shared = await store()
      const provider = countingProvider()
      const sluice = createSluice({
        store: shared,
        providers: [provider],
        limits: { ask: { limit: 5, window: '1m' } },
        cache: { enabled: false },
      })
      const request = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] }
      for (const userId of ['\ud800', 'a\udfffb', '   ', 'new\nline', 'nul\u0000', 'del\u007f']) {
        const e = (await sluice.chat(request, { userId, endpoint: 'ask' }).catch((x) => x)) as {
          code?: string
          path?: string
        }
        t.expect(e.code).toBe('invalid_request')
        t.expect(e.path).toBe('ctx.userId')
      }
      t.expect(provider.calls).toBe(0)
      const ok = await sluice.chat(request, { userId: "ünï 😀 用户 '; DROP", endpoint: 'ask' })
      t.expect(ok.sluice.provider).toBe('counting')
      await sluice.close()
    })

    t.it(
      'two instances: an answer fetched by A is a cache hit for B; 40 identical calls make one upstream call',
      async () => {
        const shared = await store()
        const provider = countingProvider(20)
        const make = () => createSluice({ store: shared, providers: [provider] })
        const [a, b] = [make(), make()]
        const request = { model: 'm', messages: [{ role: 'user' as const, content: 'the same question' }] }
        const first = await a.chat(request, { userId: 'ana' })
        t.expect(first.sluice.cached).toBe(false)
        const second = await b.chat(request, { userId: 'bob' })
        t.expect(second.sluice.cached).toBe(true)
        t.expect(provider.calls).toBe(1)
        const burst = {
          model: 'm',
          messages: [{ role: 'user' as const, content: 'asked by everyone at once' }],
        }
        const answers = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).chat(burst, { userId: `u${i}` })),
        )
        t.expect(provider.calls).toBe(2)
        t.expect(answers.filter((r) => !r.sluice.coalesced && !r.sluice.cached).length).toBe(1)
        await a.close()
        await b.close()
      },
    )

    t.it(
      'two instances: a caller of a shared call leaves alone; its abort ends its own wait only',
      async () => {
        const shared = await store()
        const provider = countingProvider(150)
        const make = () => createSluice({ store: shared, providers: [provider], retry: { retries: 0 } })
        const [a, b] = [make(), make()]
        const request = {
          model: 'm',
          messages: [{ role: 'user' as const, content: 'asked, then abandoned' }],
        }
        const [leader, quitter] = [new AbortController(), new AbortController()]
        const settled: string[] = []
        const track = (who: string, call: Promise<ChatCompletion>) =>
          call
            .then(
              (r) => r.choices[0]?.message.content,
              (e) => (e as { code?: string }).code,
            )
            .finally(() => settled.push(who))
        const first = track('first', a.chat(request, { userId: 'ana', signal: leader.signal }))
        await new Promise((r) => setTimeout(r, 20))
        const stayer = track('stayer', b.chat(request, { userId: 'bob' }))
        const leaver = track('leaver', b.chat(request, { userId: 'cy', signal: quitter.signal }))
        setTimeout(() => quitter.abort(), 30)
        setTimeout(() => leader.abort(), 60)
        // Whoever leads, the two who left are cancelled, each at its own abort, and the one who
        // stayed gets the answer (leading next when the leader was the first caller).
        t.expect(await Promise.all([first, stayer, leaver])).toEqual(['cancelled', 'ok', 'cancelled'])
        t.expect(settled.slice(0, 2)).toEqual(['leaver', 'first'])
        await a.close()
        await b.close()
      },
    )
  })
}

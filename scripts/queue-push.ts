// Cross-process queue tests, the same for every shared store: a worker in a child process and a
// waiter here, both polling only every 10 minutes, so what arrives in seconds came by push.
import { type ChildProcess, spawn } from 'node:child_process'
import type { CostTracker, createSluice, deepseek, QueueClient, Store } from '@sluice/core'
import type { Simulator, startSimulator } from '@sluice/simulator'

interface PushApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void
  expect(value: unknown): {
    toBe(v: unknown): void
    toEqual(v: unknown): void
    toBeGreaterThan(n: number): void
  }
  beforeAll(fn: () => Promise<void>): void
  afterAll(fn: () => Promise<void>): void
}

export interface PushOptions {
  name: string
  /** The fixture (scripts/queue-workers.mjs): argv = namespace, mode, arg. */
  script: string
  env: NodeJS.ProcessEnv
  namespace(test: string): string
  store(namespace: string): Promise<Store> | Store
  deps: {
    QueueClient: typeof QueueClient
    CostTracker: typeof CostTracker
    createSluice: typeof createSluice
    deepseek: typeof deepseek
    startSimulator: typeof startSimulator
  }
}

const LAZY = { pollInterval: '10m' } as const
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts a worker process and resolves once it says 'ready' (and its first claim is over). */
async function startWorker(o: PushOptions, args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [o.script, ...args], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d) => {
      out += d
      if (out.includes('ready')) resolve()
    })
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)))
  })
  await sleep(500) // its first claim found nothing: from now on only a push wakes it
  return child
}

/** SIGTERM, and the worker must be gone within 10 s (then it is killed and the test fails). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const gone = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  const late = await Promise.race([gone.then(() => false), sleep(10_000).then(() => true)])
  if (!late) return
  child.kill('SIGKILL')
  throw new Error('the worker process did not stop within 10 s of SIGTERM')
}

export function queuePushTests(t: PushApi, o: PushOptions): void {
  const { QueueClient, CostTracker, createSluice, deepseek, startSimulator } = o.deps
  let sim: Simulator
  t.beforeAll(async () => {
    sim = await startSimulator({ profile: 'deepseek', latencyMs: { min: 1000, max: 1000 } })
  })
  t.afterAll(async () => {
    await sim.close()
  })
  /** An app instance on the store whose chats go through the queue, run by another process's worker. */
  const queuedApp = (store: Store, batch?: Parameters<typeof createSluice>[0]['batch']) =>
    createSluice({
      store,
      providers: [deepseek({ baseURL: sim.url, apiKey: 'sim' })],
      tiers: { free: { budget: { daily: 1 } } },
      queue: { worker: false, ...LAZY },
      ...(batch ? { batch } : {}),
    })
  const translation = (language: string, text: string) => ({
    model: 'deepseek-chat',
    messages: [
      { role: 'system' as const, content: `Translate into ${language}.` },
      { role: 'user' as const, content: text },
    ],
  })

  t.describe(`${o.name}: queue across processes, by push`, () => {
    t.it(
      'a worker in another process is woken by push; the waiter here gets the result by push',
      async () => {
        const ns = o.namespace('push')
        const worker = await startWorker(o, [ns, 'push'])
        try {
          const queue = new QueueClient({ store: await o.store(ns), ...LAZY })
          const { id } = await queue.enqueue({ type: 'push', userId: 'u', data: 21 })
          t.expect(await queue.wait(id, { userId: 'u', timeout: 15_000 })).toBe(42)
          await queue.close()
        } finally {
          await stop(worker)
        }
      },
      30_000,
    )

    t.it(
      "translations queued by two app instances are answered in one batch by another process's worker",
      async () => {
        const ns = o.namespace('batch')
        const worker = await startWorker(o, [ns, 'batch', sim.url])
        const store = await o.store(ns)
        const [a, b] = [queuedApp(store), queuedApp(store)]
        try {
          const before = sim.stats.requests
          const asks = Array.from({ length: 20 }, (_, i) => `queued sentence ${i}`)
          const results = await Promise.all(
            asks.map((text, i) =>
              (i % 2 ? a : b).chat(
                {
                  model: 'deepseek-chat',
                  messages: [
                    { role: 'system', content: 'Translate into French.' },
                    { role: 'user', content: text },
                  ],
                },
                { userId: `t${i % 4}`, endpoint: 'translate', cache: false },
              ),
            ),
          )
          t.expect(sim.stats.requests - before).toBe(1)
          t.expect(
            results.every((r, i) => (r.choices[0]!.message.content ?? '').includes(`[re: ${asks[i]}]`)),
          ).toBe(true)
          t.expect(results.map((r) => [r.sluice.batched, r.sluice.batchSize])).toEqual(
            asks.map(() => [true, 20]),
          )
        } finally {
          await a.close()
          await b.close()
          await stop(worker)
        }
      },
      30_000,
    )

    t.it(
      'a worker claims one whole group at a time: 30 queued translations to 3 languages, batches of 10 → 3 calls',
      async () => {
        const ns = o.namespace('groups')
        const store = await o.store(ns)
        // The apps know the batch groups, so each job carries its own; the worker is not there yet.
        const groups = {
          translate: {
            groupBy: (req: unknown) => JSON.stringify((req as { messages: unknown[] }).messages[0]),
          },
        }
        const [a, b] = [queuedApp(store, groups), queuedApp(store, groups)]
        const languages = ['French', 'German', 'Spanish']
        const asks = Array.from({ length: 30 }, (_, i) => ({
          language: languages[i % 3]!,
          text: `grouped sentence ${i}`,
        }))
        const before = sim.stats.requests
        const pending = asks.map(({ language, text }, i) =>
          (i % 2 ? a : b).chat(translation(language, text), {
            userId: `g${i % 5}`,
            endpoint: 'translate',
            cache: false,
          }),
        )
        for (const p of pending) p.catch(() => {}) // awaited below
        const counter = new QueueClient({ store, ...LAZY })
        let worker: ChildProcess | undefined
        try {
          for (let i = 0; i < 100 && (await counter.counts()).pending < 30; i++) await sleep(50)
          t.expect((await counter.counts()).pending).toBe(30)
          // One batch at a time, at most 10 per claim: plain claims in line order would bring
          // mixed languages and make about 9 calls; claims by group make 3.
          worker = await startWorker(o, [ns, 'groups', sim.url])
          const results = await Promise.all(pending)
          t.expect(sim.stats.requests - before).toBe(3)
          t.expect(
            results.every((r, i) => (r.choices[0]!.message.content ?? '').includes(`[re: ${asks[i]!.text}]`)),
          ).toBe(true)
          t.expect(results.map((r) => [r.sluice.batched, r.sluice.batchSize])).toEqual(
            asks.map(() => [true, 10]),
          )
        } finally {
          await counter.close()
          await a.close()
          await b.close()
          if (worker) await stop(worker)
        }
      },
      30_000,
    )

    t.it(
      "sluice.chat through the queue runs on another process's worker; the answer comes by push, the cost is settled there",
      async () => {
        const ns = o.namespace('chat')
        const worker = await startWorker(o, [ns, 'chat', sim.url])
        const store = await o.store(ns)
        const sluice = queuedApp(store)
        const cost = new CostTracker({ store, tiers: { free: { budget: { daily: 1 } } } })
        try {
          const before = sim.stats.requests
          const res = await sluice.chat(
            { model: 'deepseek-chat', messages: [{ role: 'user', content: 'Translate: good night' }] },
            { userId: 'asker', tier: 'free' },
          )
          t.expect((res.choices[0]!.message.content ?? '').length).toBeGreaterThan(0)
          t.expect(sim.stats.requests - before).toBe(1)
          t.expect(Math.abs((await cost.spend('asker')) - res.sluice.costUsd) < 1e-12).toBe(true)

          // A caller that gives up while its job runs: the worker still charges what the call cost.
          const impatient = queuedApp(store)
          const watcher = new QueueClient({ store, ...LAZY })
          const giveUp = new AbortController()
          const gaveUp = impatient
            .chat(
              { model: 'deepseek-chat', messages: [{ role: 'user', content: 'Translate: good evening' }] },
              { userId: 'leaver', tier: 'free', signal: giveUp.signal },
            )
            .then(
              () => 'answered',
              (e: { code?: string }) => e.code,
            )
          // The simulator takes a second to answer: give up once the worker has started the job.
          for (let i = 0; i < 200 && (await watcher.counts('sluice.chat')).active === 0; i++) await sleep(25)
          giveUp.abort()
          t.expect(await gaveUp).toBe('cancelled')
          let spent = 0
          for (let i = 0; i < 100 && spent === 0; i++) {
            await sleep(100)
            spent = await cost.spend('leaver')
          }
          t.expect(spent).toBeGreaterThan(0)
          await watcher.close()
          await impatient.close()
        } finally {
          await sluice.close()
          await stop(worker)
        }
      },
      30_000,
    )
  })
}

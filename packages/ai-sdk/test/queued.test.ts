// generateText through the durable queue: the app instance here enqueues (limits and budget
// checked here), a worker process runs the AI SDK model and settles the cost, the answer comes
// back by push.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { createSluice, deepseek } from '@sluice/core'
import { redisStore } from '@sluice/redis'
import { startSimulator } from '@sluice/simulator'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../../../scripts/redis-keys'
import { REDIS_URL } from '../../../scripts/services.mjs'
import { sluiceMiddleware } from '../src/sluice-middleware'

const prefix = `t_aisdk_${process.pid}`
const redis = new Redis(REDIS_URL)
afterAll(async () => {
  await deleteKeys(redis, `${prefix}:*`)
  await redis.quit()
})

describe('queued AI SDK calls', () => {
  it("generateText and streamText run on another process's worker and their cost is settled there", async () => {
    const primary = await startSimulator({ profile: 'deepseek', latencyMs: { min: 5, max: 5 } })
    const fallback = await startSimulator({ profile: 'groq', latencyMs: { min: 5, max: 5 }, rpm: 0, tpm: 0 })
    const worker = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./queue-worker.ts', import.meta.url)),
        REDIS_URL,
        prefix,
        primary.url,
        fallback.url,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on('data', (d) => String(d).includes('ready') && resolve())
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
    })
    const app = createSluice({
      store: redisStore({ client: redis, prefix }),
      providers: [deepseek({ baseURL: primary.url, apiKey: 'sim' })],
      tiers: { free: { budget: { daily: 1 } } },
      queue: { worker: false, pollInterval: '10m' },
    })
    // The app's own model object is never called: the worker runs its own.
    const unused = createOpenAICompatible({ name: 'deepseek', baseURL: 'http://127.0.0.1:9', apiKey: 'x' })
    const model = wrapLanguageModel({
      model: unused.chatModel('deepseek-chat'),
      middleware: sluiceMiddleware({ sluice: app, endpoint: 'tutor', runner: 'ai-sdk' }),
    })
    try {
      const before = primary.stats.requests
      const res = await generateText({
        model,
        prompt: 'Queued through Redis',
        maxRetries: 0,
        providerOptions: { sluice: { userId: 'q', tier: 'free' } },
      })
      expect(res.text.length).toBeGreaterThan(0)
      expect(primary.stats.requests - before).toBe(1)
      expect((await app.queue!.counts()).completed).toBe(1)
      const priced = app.price('deepseek-chat', {
        prompt_tokens: res.usage.inputTokens!,
        completion_tokens: res.usage.outputTokens!,
        total_tokens: res.usage.totalTokens!,
      })!
      expect(Math.abs((await app.cost.spend('q')) - priced)).toBeLessThan(1e-12)
      // streamText through the queue: answered whole by the worker, replayed here as a stream.
      const streamed = streamText({
        model,
        prompt: 'A queued stream',
        maxRetries: 0,
        providerOptions: { sluice: { userId: 'q', tier: 'free' } },
      })
      let text = ''
      for await (const part of streamed.textStream) text += part
      expect(text.length).toBeGreaterThan(0)
      expect((await streamed.usage).outputTokens).toBeGreaterThan(0)
      expect(primary.stats.requests - before).toBe(2)
      expect((await app.queue!.counts()).completed).toBe(2)
    } finally {
      await app.close()
      worker.kill('SIGTERM')
      await new Promise((r) => worker.once('exit', r))
      await primary.close()
      await fallback.close()
    }
  })
})

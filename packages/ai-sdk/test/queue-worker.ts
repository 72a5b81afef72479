// A worker process for queued AI SDK calls: its Sluice, on the shared Redis, runs them with the
// AI SDK models it has (the app instance that enqueued them has no such worker). argv: Redis URL,
// prefix, DeepSeek simulator URL, Groq simulator URL. Prints 'ready'; SIGTERM stops it.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible'
import { createSluice, deepseek } from '@sluice/core'
import { redisStore } from '@sluice/redis'
import { Redis } from 'ioredis'
import { aiSdkRunner } from '../src/runner'

const [redisUrl, prefix, dsUrl, gqUrl] = process.argv.slice(2) as [string, string, string, string]
const model = (name: string, url: string, id: string) =>
  createOpenAICompatible({ name, baseURL: url, apiKey: 'sim', includeUsage: true }).chatModel(id)
const sluice = createSluice({
  store: redisStore({ client: new Redis(redisUrl), prefix, quitOnClose: true }),
  providers: [deepseek({ baseURL: dsUrl, apiKey: 'sim' })],
  queue: { worker: true, pollInterval: '10m' },
  runners: {
    'ai-sdk': aiSdkRunner([
      model('deepseek', dsUrl, 'deepseek-chat'),
      model('groq', gqUrl, 'llama-3.3-70b-versatile'),
    ]),
  },
})
console.log('ready')
await new Promise((r) => process.once('SIGTERM', r))
await sluice.close()
process.exit(0)

// Runs the HTTP example against the simulator: `pnpm --filter @sluice/example-http-server start`,
// then e.g. curl -XPOST localhost:3000/api/chat -H 'x-user-id: ana' -d '{"message":"hola"}'
import { createServer } from 'node:http'
import { createSluice, deepseek, groq, memoryStore, QueueClient } from '@sluice/core'
import { startSimulator } from '@sluice/simulator'
import { createHandler, startChatWorker } from './app'

const primary = await startSimulator({ profile: 'deepseek', latencyMs: { min: 50, max: 200 } })
const fallback = await startSimulator({ profile: 'groq', latencyMs: { min: 20, max: 80 } })
const store = memoryStore()
const sluice = createSluice({
  store,
  providers: [
    deepseek({ baseURL: primary.url }),
    groq({ baseURL: fallback.url, modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' } }),
  ],
  tiers: { free: { limits: { default: { max: 10, window: '60s' } }, dailyTotal: 100 }, premium: {} },
})
const queue = new QueueClient({ store })
startChatWorker(sluice, queue)
const handler = createHandler(sluice, queue, (req) => ({
  userId: String(req.headers['x-user-id'] ?? 'anonymous'), // demo only: use your auth instead
  tier: req.headers['x-tier'] === 'premium' ? 'premium' : 'free',
}))
const port = Number(process.env.PORT ?? 3000)
createServer(handler).listen(port, () => console.log(`listening on http://127.0.0.1:${port}`))

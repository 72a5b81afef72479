// The same endpoint on Hono.
import { sluiceClient } from '@sluice/clients'
import type { CallContext, Sluice } from '@sluice/core'
import { sluiceHono } from '@sluice/core/http'
import { type Context, Hono } from 'hono'
import OpenAI from 'openai'
import { accountOf, chatRequest } from './auth'

type Env = { Variables: { sluice: CallContext } }

export function honoApp(sluice: Sluice) {
  const http = sluiceHono<Context<Env>>((c) => accountOf(c.req.header('authorization')))
  const app = new Hono<Env>()
  app.use(http.context)
  app.post('/chat', async (c) => {
    const body = await c.req.json().catch(() => null)
    const reply = await sluice.chat(chatRequest(body), { ...c.get('sluice'), endpoint: 'chat' })
    return c.json({ answer: reply.choices[0]?.message.content, cached: reply.sluice.cached })
  })
  const openai = sluiceClient(new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'unused' }), sluice)
  app.post('/chat-openai', async (c) => {
    const { messages } = chatRequest(await c.req.json().catch(() => null))
    const reply = await openai.chat.completions.create(
      { model: 'deepseek-chat', messages },
      { headers: { 'x-sluice-endpoint': 'chat' } },
    )
    return c.json({ answer: reply.choices[0]?.message.content })
  })
  app.onError(http.errors)
  return app
}

// The same endpoint on Hono.
import type { CallContext, Sluice } from '@sluice/core'
import { sluiceHono } from '@sluice/core/http'
import { type Context, Hono } from 'hono'
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
  app.onError(http.errors)
  return app
}

// Seed 002's chat endpoint on Express: the caller's context from the app's auth, every error
// through toHttp() (status, Retry-After, X-RateLimit-* and a JSON body).
import type { Sluice } from '@sluice/core'
import { sluiceExpress } from '@sluice/core/http'
import express from 'express'
import { accountOf, chatRequest } from './auth'

export function expressApp(sluice: Sluice): express.Express {
  const http = sluiceExpress<express.Request>((req) => accountOf(req.get('authorization')))
  const app = express()
  app.use(express.json())
  app.use(http.context)
  app.post('/chat', async (req, res) => {
    const reply = await sluice.chat(chatRequest(req.body), { ...req.sluice!, endpoint: 'chat' })
    res.json({ answer: reply.choices[0]?.message.content, cached: reply.sluice.cached })
  })
  app.use(http.errors)
  return app
}

declare global {
  namespace Express {
    interface Request {
      sluice?: import('@sluice/core').CallContext
    }
  }
}

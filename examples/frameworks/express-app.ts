// Seed 002's chat endpoint on Express: the caller's context from the app's auth, every error
// through toHttp() (status, Retry-After, X-RateLimit-* and a JSON body).
import { sluiceClient } from '@sluice/clients'
import type { Sluice } from '@sluice/core'
import { sluiceExpress } from '@sluice/core/http'
import express from 'express'
import OpenAI from 'openai'
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
  // The same, for an app that already calls the official openai client: the client wrapped once,
  // the caller found in the call scope `http.context` set.
  const openai = sluiceClient(new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'unused' }), sluice)
  app.post('/chat-openai', async (req, res) => {
    const { messages } = chatRequest(req.body)
    const reply = await openai.chat.completions.create(
      { model: 'deepseek-chat', messages },
      { headers: { 'x-sluice-endpoint': 'chat' } },
    )
    res.json({ answer: reply.choices[0]?.message.content })
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

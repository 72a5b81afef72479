// Compiled by `pnpm typecheck` (strict): the wrapped clients keep their own types. Not run.
import { createSluice, deepseek } from '@sluice/core'
import Groq from 'groq-sdk'
import OpenAI from 'openai'
import type { Stream } from 'openai/streaming'
import { sluiceClient, sluiceFetch } from '../src'

const sluice = createSluice({ providers: [deepseek({ apiKey: 'k' })] })

export async function openaiKeepsItsTypes(): Promise<string> {
  const openai: OpenAI = sluiceClient(new OpenAI({ apiKey: 'k' }), sluice)
  const completion: OpenAI.Chat.Completions.ChatCompletion = await openai.chat.completions.create({
    model: 'deepseek-chat',
    messages: [{ role: 'user', content: 'hi' }],
  })
  // @ts-expect-error a completion has no such field: the type is the client's own, not `any`
  completion.notAField
  const stream: Stream<OpenAI.Chat.Completions.ChatCompletionChunk> = await openai.chat.completions.create({
    model: 'deepseek-chat',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? ''
  const { data, response } = await openai.chat.completions
    .create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse()
  const status: number = response.status
  const models = openai.models.list() // everything else is the client's
  void models
  return `${completion.choices[0]?.message.content}${text}${data.id}${status}`
}

export async function groqKeepsItsTypes(): Promise<string | null | undefined> {
  const groq: Groq = sluiceClient(new Groq({ apiKey: 'k' }), sluice)
  const completion: Groq.Chat.ChatCompletion = await groq.chat.completions.create({
    model: 'deepseek-chat',
    messages: [{ role: 'user', content: 'hi' }],
  })
  return completion.choices[0]?.message.content
}

// Any SDK that takes a fetch: the signature fits OpenAI's own option.
export const withFetch = new OpenAI({ apiKey: 'k', fetch: sluiceFetch(sluice) })

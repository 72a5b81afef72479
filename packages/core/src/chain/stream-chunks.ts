import type { ChatChunk, ChatCompletion, ChatMessage } from '../providers/types'

type Choice = ChatCompletion['choices'][number]

/**
 * A streamed answer as the completion it spells out, so it can be cached and shared with plain
 * chats; undefined when the deltas carry more than text (tool calls and the like), which a
 * replay could not reproduce.
 */
export function assembleChunks(chunks: readonly ChatChunk[]): ChatCompletion | undefined {
  const first = chunks[0]
  if (!first) return undefined
  const choices = new Map<number, Choice>()
  let model = first.model
  let usage: ChatCompletion['usage']
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage
    if (chunk.model) model = chunk.model
    for (const c of chunk.choices ?? []) {
      const delta = c.delta ?? {}
      for (const key of Object.keys(delta)) if (key !== 'role' && key !== 'content') return undefined
      let choice = choices.get(c.index)
      if (!choice) {
        choice = { index: c.index, message: { role: 'assistant', content: '' }, finish_reason: null }
        choices.set(c.index, choice)
      }
      if (delta.role) choice.message.role = delta.role
      if (typeof delta.content === 'string') choice.message.content += delta.content
      if (c.finish_reason) choice.finish_reason = c.finish_reason
    }
  }
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model,
    choices: [...choices.values()].sort((a, b) => a.index - b.index),
    ...(usage ? { usage } : {}),
  }
}

/** A completion as a stream: each choice's text in one chunk, then the finish, then the usage. */
export async function* replayCompletion(completion: ChatCompletion): AsyncGenerator<ChatChunk> {
  const base = { id: completion.id, object: 'chat.completion.chunk' as const, created: completion.created }
  const { model } = completion
  const delta = (m: ChatMessage) => ({ role: m.role, content: m.content ?? '' })
  yield {
    ...base,
    model,
    choices: completion.choices.map((c) => ({
      index: c.index,
      delta: delta(c.message),
      finish_reason: null,
    })),
  }
  yield {
    ...base,
    model,
    choices: completion.choices.map((c) => ({ index: c.index, delta: {}, finish_reason: c.finish_reason })),
  }
  if (completion.usage) yield { ...base, model, choices: [], usage: completion.usage }
}

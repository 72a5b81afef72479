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
  if (choices.size === 0) return undefined // no answer in it (usage alone): nothing to keep
  return {
    id: first.id,
    object: 'chat.completion',
    created: first.created,
    model,
    choices: [...choices.values()].sort((a, b) => a.index - b.index),
    ...(usage ? { usage } : {}),
  }
}

/** A completion as the chunks of a stream: each choice's text in one, then the finish, then the usage. */
export function completionChunks(completion: ChatCompletion): ChatChunk[] {
  const { id, created, model } = completion
  const object = 'chat.completion.chunk' as const
  const delta = (m: ChatMessage) => ({ role: m.role, content: m.content ?? '' })
  const chunks: ChatChunk[] = [
    {
      id,
      object,
      created,
      model,
      choices: completion.choices.map((c) => ({
        index: c.index,
        delta: delta(c.message),
        finish_reason: null,
      })),
    },
    {
      id,
      object,
      created,
      model,
      choices: completion.choices.map((c) => ({ index: c.index, delta: {}, finish_reason: c.finish_reason })),
    },
  ]
  if (completion.usage) chunks.push({ id, object, created, model, choices: [], usage: completion.usage })
  return chunks
}

/** A completion as a stream (a cache hit on a stream replays this way). */
export async function* replayCompletion(completion: ChatCompletion): AsyncGenerator<ChatChunk> {
  yield* completionChunks(completion)
}

/** What an iterator that has ended answers (the chain's hand-made stream iterators share it). */
export const ENDED: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true })

/** Closes a stream's source that nobody reads on; what closing it throws is nobody's concern. */
export function closeQuietly(source: AsyncIterator<unknown>): Promise<void> {
  return Promise.resolve(source.return?.()).then(
    () => {},
    () => {},
  )
}

/**
 * What `replayCompletion` yields, as a plain iterator over chunks in hand: no async generator's
 * cost per chunk (the chain replays every cache hit on a stream this way).
 */
export function replayChunks(completion: ChatCompletion): AsyncIterableIterator<ChatChunk> {
  const chunks = completionChunks(completion)
  let i = 0
  const it: AsyncIterableIterator<ChatChunk> = {
    next: () => Promise.resolve(i < chunks.length ? { value: chunks[i++]!, done: false } : ENDED),
    return: () => {
      i = chunks.length
      return Promise.resolve(ENDED)
    },
    [Symbol.asyncIterator]: () => it,
  }
  return it
}

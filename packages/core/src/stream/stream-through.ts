import type { Call, Outcome, SluiceMeta } from '../chain/types'
import type { ChatChunk, ChatCompletion } from '../providers/types'
import { replayChunks } from './stream-chunks'

/**
 * A stream call through the composed chain: nothing runs until the first read; the chunks come
 * from the outcome's stream (or, when a middleware answered without one, its answer replayed),
 * and the call's meta is the generator's return value.
 */
export async function* streamThrough(
  run: (call: Call) => Promise<Outcome>,
  call: Call,
): AsyncGenerator<ChatChunk, SluiceMeta> {
  const outcome = await run(call)
  yield* outcome.stream ?? replayChunks(outcome.value as ChatCompletion)
  return call.meta
}

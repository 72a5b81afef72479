import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { type CallInput, keep, paramsOf } from './cached-result'

type Part = LanguageModelV3StreamPart

export const nameOf = (m: LanguageModelV3) => `${m.provider}:${m.modelId}`

/** A stream of the given parts, then its end. */
export function partsStream(parts: Part[]): ReadableStream<Part> {
  return new ReadableStream<Part>({
    start(controller) {
      for (const part of parts) controller.enqueue(part)
      controller.close()
    },
  })
}

/** A worker's runner for queued AI SDK calls: the models tried in order, as the middleware would. */
export function aiSdkRunner(models: LanguageModelV3[]) {
  return models.map((m) => ({
    name: nameOf(m),
    run: async (input: unknown, signal: AbortSignal) =>
      keep(m.modelId, await m.doGenerate({ ...paramsOf(input as CallInput), abortSignal: signal })),
  }))
}

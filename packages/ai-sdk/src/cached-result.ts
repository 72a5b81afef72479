import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider'

/** What identifies an answer: the model and every setting that shapes it (no signals, no headers). */
export function cacheInput(modelId: string, p: LanguageModelV3CallOptions): unknown {
  return {
    model: modelId,
    prompt: p.prompt,
    maxOutputTokens: p.maxOutputTokens,
    temperature: p.temperature,
    topP: p.topP,
    topK: p.topK,
    stopSequences: p.stopSequences,
    presencePenalty: p.presencePenalty,
    frequencyPenalty: p.frequencyPenalty,
    seed: p.seed,
    responseFormat: p.responseFormat,
    tools: p.tools,
    toolChoice: p.toolChoice,
  }
}

/** A generate result as Sluice keeps it (JSON, with the model that answered for pricing). */
export interface Kept {
  model: string
  usage: LanguageModelV3GenerateResult['usage']
  result: Omit<LanguageModelV3GenerateResult, 'request' | 'response'> & {
    response?: { id?: string; modelId?: string; timestamp?: string }
  }
}

export function keep(modelId: string, r: LanguageModelV3GenerateResult): Kept {
  const { request: _request, response, ...rest } = r
  return {
    model: response?.modelId ?? modelId,
    usage: r.usage,
    result: {
      ...rest,
      ...(response
        ? {
            response: {
              ...(response.id !== undefined ? { id: response.id } : {}),
              ...(response.modelId !== undefined ? { modelId: response.modelId } : {}),
              ...(response.timestamp ? { timestamp: new Date(response.timestamp).toISOString() } : {}),
            },
          }
        : {}),
    },
  }
}

/** The generate result back (a cached one too: its timestamp a Date again). */
export function restore(kept: Kept): LanguageModelV3GenerateResult {
  const { response, ...rest } = kept.result
  return {
    ...rest,
    ...(response
      ? {
          response: {
            ...(response.id !== undefined ? { id: response.id } : {}),
            ...(response.modelId !== undefined ? { modelId: response.modelId } : {}),
            ...(response.timestamp ? { timestamp: new Date(response.timestamp) } : {}),
          },
        }
      : {}),
  }
}

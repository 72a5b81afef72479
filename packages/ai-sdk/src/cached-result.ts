import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult } from '@ai-sdk/provider'

/**
 * What identifies an answer: the model and every setting that shapes it (no signals, no headers,
 * not Sluice's own provider options). Also what a queued call carries to the worker.
 */
export function cacheInput(modelId: string, p: LanguageModelV3CallOptions): CallInput {
  const { sluice: _sluice, ...providerOptions } = p.providerOptions ?? {}
  return {
    model: modelId,
    providerOptions,
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

export type CallInput = Omit<LanguageModelV3CallOptions, 'abortSignal' | 'headers' | 'includeRawChunks'> & {
  model: string
}

/** The call options back from what a queued call carried. */
export function paramsOf(input: CallInput): LanguageModelV3CallOptions {
  const { model: _model, ...params } = input
  return params
}

/** A generate result as Sluice keeps it (JSON, with the model that answered for pricing). */
export interface Kept {
  model: string
  usage: LanguageModelV3GenerateResult['usage']
  result: Omit<LanguageModelV3GenerateResult, 'request' | 'response'> & {
    response?: { id?: string; modelId?: string; timestamp?: string }
  }
}

type Response = { id?: string; modelId?: string; timestamp?: Date | string }

/** A response's id, model and time, the time as `time` makes it (ISO text to keep, a Date back). */
function responseOf<T>(r: Response | undefined, time: (t: Date | string) => T) {
  if (!r) return {}
  return {
    response: {
      ...(r.id !== undefined ? { id: r.id } : {}),
      ...(r.modelId !== undefined ? { modelId: r.modelId } : {}),
      ...(r.timestamp ? { timestamp: time(r.timestamp) } : {}),
    },
  }
}

export function keep(modelId: string, r: LanguageModelV3GenerateResult): Kept {
  const { request: _request, response, ...rest } = r
  return {
    model: response?.modelId ?? modelId,
    usage: r.usage,
    result: { ...rest, ...responseOf(response, (t) => new Date(t).toISOString()) },
  }
}

/** The generate result back (a cached one too: its timestamp a Date again). */
export function restore(kept: Kept): LanguageModelV3GenerateResult {
  const { response, ...rest } = kept.result
  return { ...rest, ...responseOf(response, (t) => new Date(t)) }
}

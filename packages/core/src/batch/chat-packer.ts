import type { ChatCompletion, ChatRequest, Usage } from '../providers/types'

/** The last user message of a request: the item a packed prompt carries. */
export function itemOf(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user')
  return typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '')
}

export const LIST_INSTRUCTION =
  'The user message is a JSON array of requests. Answer each one as if it had been asked alone. Reply with only a JSON array of strings: one answer per request, in the same order, nothing else.'

/**
 * One list-in/list-out chat for a group: the first request's system message and options, then
 * the items as a JSON array; max_tokens grows with the group.
 */
export function packChat(requests: readonly ChatRequest[]): ChatRequest {
  const first = requests[0]!
  const system = first.messages.find((m) => m.role === 'system')
  const perItem = first.max_tokens ?? 256
  return {
    ...first,
    messages: [
      {
        role: 'system',
        content: `${typeof system?.content === 'string' ? `${system.content}\n\n` : ''}${LIST_INSTRUCTION}`,
      },
      { role: 'user', content: JSON.stringify(requests.map(itemOf)) },
    ],
    max_tokens: perItem * requests.length,
  }
}

/** The answers of a packed chat, or undefined when its text is not a JSON array of `n` strings. */
export function unpackChat(completion: ChatCompletion, n: number): string[] | undefined {
  const text = completion.choices[0]?.message.content
  if (typeof text !== 'string') return undefined
  const start = text.indexOf('[')
  const end = text.lastIndexOf(']')
  if (start < 0 || end < start) return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(text.slice(start, end + 1))
  } catch {
    return undefined
  }
  if (!Array.isArray(parsed) || parsed.length !== n || !parsed.every((a) => typeof a === 'string'))
    return undefined
  return parsed as string[]
}

/** `total` split by `weights`, in whole tokens that add up to it. */
function split(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0)
  const parts = weights.map((w) => Math.floor((total * w) / sum))
  parts[parts.length - 1]! += total - parts.reduce((s, p) => s + p, 0)
  return parts
}

/**
 * Each item's share of the batch's usage: prompt tokens (and DeepSeek's cache-hit split) evenly,
 * completion tokens by the length of its answer; the shares add up to the whole.
 */
export function shareUsage(usage: Usage | undefined, answers: readonly string[]): (Usage | undefined)[] {
  if (!usage) return answers.map(() => undefined)
  const even = answers.map(() => 1)
  const prompt = split(usage.prompt_tokens, even)
  const completion = split(
    usage.completion_tokens,
    answers.map((a) => Math.max(1, a.length)),
  )
  const hit =
    usage.prompt_cache_hit_tokens === undefined ? undefined : split(usage.prompt_cache_hit_tokens, even)
  return answers.map((_, i) => ({
    prompt_tokens: prompt[i]!,
    completion_tokens: completion[i]!,
    total_tokens: prompt[i]! + completion[i]!,
    ...(hit ? { prompt_cache_hit_tokens: hit[i]!, prompt_cache_miss_tokens: prompt[i]! - hit[i]! } : {}),
  }))
}

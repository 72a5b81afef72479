import type { ChatRequest, Usage } from '../providers/types'
import type { ModelPrice } from './prices'

/** A deliberately high token count for a prompt: ~4 chars a token plus a per-message overhead. */
export function estimatePromptTokens(request: ChatRequest): number {
  let chars = 0
  for (const m of request.messages) chars += (typeof m.content === 'string' ? m.content.length : 0) + 16
  return Math.ceil(chars / 4)
}

/** Cost of real usage: cache-hit prompt tokens at the cached price, the rest at the input price. */
export function costOf(price: ModelPrice, usage: Usage): number {
  const hit = usage.prompt_cache_hit_tokens ?? 0
  const miss = usage.prompt_tokens - hit
  const cached = price.cachedInput ?? price.input
  return (miss * price.input + hit * cached + usage.completion_tokens * price.output) / 1_000_000
}

/** The most a request can cost: every prompt token uncached and `max_tokens` of output. */
export function maxCostOf(
  price: ModelPrice,
  request: ChatRequest,
  defaultMaxTokens: number,
  prompt = estimatePromptTokens(request),
): number {
  const output = request.max_tokens ?? defaultMaxTokens
  return (prompt * price.input + output * price.output) / 1_000_000
}

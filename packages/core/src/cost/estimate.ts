import type { ChatRequest, Usage } from '../providers/types'
import type { ModelPrice } from './prices'

/** Tokens assumed for one image part: above what a large, high-detail image costs at OpenAI-style APIs. */
export const IMAGE_TOKENS = 1_600
const MESSAGE_OVERHEAD = 4

/**
 * A deliberately high token count for text: 3 ASCII characters a token (English runs nearer 4),
 * and a token for every other UTF-16 unit (CJK text runs below that, an emoji is two).
 */
export function textTokens(text: string): number {
  let ascii = 0
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 128) ascii++
  return Math.ceil(ascii / 3) + (text.length - ascii)
}

function partTokens(part: unknown): number {
  if (typeof part === 'string') return textTokens(part)
  if (typeof part !== 'object' || part === null) return 0
  const p = part as { type?: unknown; text?: unknown }
  if (p.type === 'image_url' || p.type === 'image' || p.type === 'input_image') return IMAGE_TOKENS
  if (typeof p.text === 'string') return textTokens(p.text) + MESSAGE_OVERHEAD
  return jsonTokens(part) // audio, files, refusals…: by their serialised size
}

function jsonTokens(value: unknown): number {
  if (value === undefined || value === null) return 0
  try {
    return textTokens(JSON.stringify(value) ?? '')
  } catch {
    return 0
  }
}

/**
 * A deliberately high estimate of a request's prompt tokens, over every content shape: plain
 * strings, arrays of parts (text, images), tool calls and tool definitions.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let tokens = 0
  for (const m of request.messages) {
    tokens += MESSAGE_OVERHEAD
    const { content, role: _r, ...rest } = m as { content: unknown; role: string } & Record<string, unknown>
    if (typeof content === 'string') tokens += textTokens(content)
    else if (Array.isArray(content)) for (const part of content) tokens += partTokens(part)
    else tokens += jsonTokens(content)
    for (const key in rest) tokens += jsonTokens(rest[key]) // name, tool_calls, tool_call_id…
  }
  const extra = request as Record<string, unknown>
  for (const key of ['tools', 'functions', 'tool_choice', 'response_format']) tokens += jsonTokens(extra[key])
  return tokens
}

/** Cost of real usage: cache-hit prompt tokens at the cached price, the rest at the input price. */
export function costOf(price: ModelPrice, usage: Usage): number {
  const hit = Math.min(usage.prompt_tokens, usage.prompt_cache_hit_tokens ?? 0)
  const miss = usage.prompt_tokens - hit
  const cached = price.cachedInput ?? price.input
  return (miss * price.input + hit * cached + usage.completion_tokens * price.output) / 1_000_000
}

/** The estimated cost of `promptTokens` in and `outputTokens` out, every prompt token uncached. */
export function estimateCostOf(price: ModelPrice, promptTokens: number, outputTokens: number): number {
  return (promptTokens * price.input + outputTokens * price.output) / 1_000_000
}

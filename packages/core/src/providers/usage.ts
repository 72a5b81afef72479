import type { Usage } from './types'

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Reads a usage block. DeepSeek reports `prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`;
 * OpenAI-style APIs (Groq) report `prompt_tokens_details.cached_tokens`. The AI SDK's shapes
 * (`inputTokens` / `outputTokens`, flat or nested, or `promptTokens` / `completionTokens`) are read too, so a
 * wrapped call that returns one is priced like a chat call.
 */
export function parseUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const u = raw as Record<string, unknown>
  // AI SDK 6 nests them: inputTokens { total, cacheRead, … }, outputTokens { total, … }.
  const input = u.inputTokens as Record<string, unknown> | undefined
  const output = u.outputTokens as Record<string, unknown> | undefined
  const prompt = num(u.prompt_tokens) ?? num(u.inputTokens) ?? num(u.promptTokens) ?? num(input?.total)
  if (prompt === undefined) return undefined
  const completion =
    num(u.completion_tokens) ?? num(u.outputTokens) ?? num(u.completionTokens) ?? num(output?.total) ?? 0
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: num(u.total_tokens) ?? num(u.totalTokens) ?? prompt + completion,
  }
  const details = u.prompt_tokens_details as Record<string, unknown> | undefined
  const hit =
    num(u.prompt_cache_hit_tokens) ??
    num(details?.cached_tokens) ??
    num(u.cachedInputTokens) ??
    num(input?.cacheRead)
  if (hit !== undefined) {
    usage.prompt_cache_hit_tokens = Math.min(hit, prompt)
    usage.prompt_cache_miss_tokens = num(u.prompt_cache_miss_tokens) ?? Math.max(0, prompt - hit)
  }
  return usage
}

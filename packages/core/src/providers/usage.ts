import type { Usage } from './types'

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

/**
 * Reads a provider's usage block. DeepSeek reports `prompt_cache_hit_tokens` /
 * `prompt_cache_miss_tokens`; OpenAI-style APIs (Groq) report `prompt_tokens_details.cached_tokens`.
 */
export function parseUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined
  const u = raw as Record<string, unknown>
  const prompt = num(u.prompt_tokens)
  const completion = num(u.completion_tokens) ?? 0
  if (prompt === undefined) return undefined
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: num(u.total_tokens) ?? prompt + completion,
  }
  const details = u.prompt_tokens_details as Record<string, unknown> | undefined
  const hit = num(u.prompt_cache_hit_tokens) ?? num(details?.cached_tokens)
  if (hit !== undefined) {
    usage.prompt_cache_hit_tokens = hit
    usage.prompt_cache_miss_tokens = num(u.prompt_cache_miss_tokens) ?? Math.max(0, prompt - hit)
  }
  return usage
}

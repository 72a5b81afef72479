// A usage row as a settle records it, for the retention tests of the stores: 10 prompt and 5
// completion tokens of deepseek-chat on `chat`, from a free-tier user.
import type { UsageRow } from '@sluice/core/adapter'

export const usageRow = (userId: string, costUsd: number, at = Date.now(), cached = false): UsageRow => ({
  userId,
  tier: 'free',
  endpoint: 'chat',
  provider: 'deepseek',
  model: 'deepseek-chat',
  promptTokens: 10,
  completionTokens: 5,
  cachedTokens: 1,
  costUsd,
  cached,
  at,
})

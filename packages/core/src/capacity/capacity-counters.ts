import type { RateLimitItem, RateLimitRule } from '../store/rate-limit-port'
import type { capacityKeys } from './capacity-keys'

/**
 * Counted past the window: calls the store admitted a window apart may reach the provider closer
 * together (one waited longer on its event loop or the network), and a provider's window opens
 * when its first call arrives. 3% of the window, between 50 ms and a second.
 */
const arrivalMarginMs = (windowMs: number) => Math.min(1_000, Math.max(50, Math.round(windowMs * 0.03)))

/**
 * What one request of `tokens` draws on: a request of the rpm window, its tokens of the tpm one,
 * each twice: in a sliding log (never more than the limit in a window's length, wherever the
 * provider's window starts) and in a bucket that paces it (`burst` of the limit at once, then
 * the window's rate), so a full provider's capacity goes out through the window in priority
 * order, not in one burst at its start that the first in line take whole. Each log comes before
 * its bucket.
 */
export function capacityCounters(
  keys: ReturnType<typeof capacityKeys>,
  limits: { rpm?: number | undefined; tpm?: number | undefined },
  tokens: number,
  window: { windowMs: number; burst: number },
): RateLimitItem[] {
  const windowMs = window.windowMs + arrivalMarginMs(window.windowMs)
  const items: RateLimitItem[] = []
  const draw = (log: string, pace: string, limit: number, cost: number) => {
    const burst = Math.max(1, Math.ceil(limit * window.burst))
    items.push({ key: log, cost: Math.min(cost, limit), rule: { algorithm: 'sliding-log', limit, windowMs } })
    const refillMs = Math.max(1, Math.round((windowMs * burst) / limit))
    const rule: RateLimitRule = { algorithm: 'token-bucket', limit: burst, windowMs: refillMs }
    items.push({ key: pace, cost: Math.min(cost, burst), rule })
  }
  if (limits.rpm) draw(keys.requests, keys.requestsPace, limits.rpm, 1)
  if (limits.tpm) draw(keys.tokens, keys.tokensPace, limits.tpm, tokens)
  return items
}

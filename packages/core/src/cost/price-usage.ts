import type { Usage } from '../providers/types'
import { costOf } from './estimate'
import { priceAt } from './price-hours'
import { DEFAULT_PRICES, type ModelPrice } from './prices'

/**
 * What a call cost in USD: its usage at the model's price (prompt tokens the provider served from
 * its cache, as DeepSeek reports them, at the cached price). Undefined when the model has no
 * price in `prices` (the built-in table by default; merge your own over it). A price with
 * `hours` is taken as of `at` (now by default).
 */
export function priceUsage(
  model: string,
  usage: Usage,
  prices: Readonly<Record<string, ModelPrice>> = DEFAULT_PRICES.models,
  at: number = Date.now(),
): number | undefined {
  const price = Object.hasOwn(prices, model) ? prices[model] : undefined
  return price ? costOf(priceAt(price, at), usage) : undefined
}

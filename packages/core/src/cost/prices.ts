import type { PriceHours } from './price-hours'

/**
 * USD per million tokens. `cachedInput` is the price of prompt tokens served from the provider's
 * cache. `hours`: other prices in some hours of some weekdays (UTC); a call is charged the price
 * at the time it was made.
 */
export interface ModelPrice {
  input: number
  cachedInput?: number
  output: number
  hours?: PriceHours[]
}

export interface PriceTable {
  /** The date these list prices were read; override with `prices` when they change. */
  asOf: string
  /** Where they were read. */
  source: string[]
  models: Record<string, ModelPrice>
}

/** List prices as published by DeepSeek and Groq on the date below, at the pages in `source`. */
export const DEFAULT_PRICES: PriceTable = {
  asOf: '2025-09-29',
  source: ['https://api-docs.deepseek.com/quick_start/pricing', 'https://groq.com/pricing'],
  models: {
    'deepseek-chat': { input: 0.28, cachedInput: 0.028, output: 0.42 },
    'deepseek-reasoner': { input: 0.28, cachedInput: 0.028, output: 0.42 },
    'llama-3.3-70b-versatile': { input: 0.59, output: 0.79 },
    'llama-3.1-8b-instant': { input: 0.05, output: 0.08 },
    'openai/gpt-oss-20b': { input: 0.075, cachedInput: 0.0375, output: 0.3 },
    'openai/gpt-oss-120b': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  },
}

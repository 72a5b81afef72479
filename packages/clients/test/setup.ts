import { createSluice, deepseek, groq, type Sluice } from '@sluice/core'
import { type Simulator, startSimulator } from '@sluice/simulator'

export interface Rig {
  primary: Simulator
  fallback: Simulator
  close(): Promise<void>
}

/** A DeepSeek primary and a Groq fallback, simulated. */
export async function rig(): Promise<Rig> {
  const primary = await startSimulator({ profile: 'deepseek', latencyMs: { min: 2, max: 4 } })
  const fallback = await startSimulator({ profile: 'groq', latencyMs: { min: 2, max: 4 }, rpm: 0, tpm: 0 })
  return {
    primary,
    fallback,
    async close() {
      await primary.close()
      await fallback.close()
    },
  }
}

/** The app's Sluice: ten calls a minute per free user, a daily budget, the cache, a fallback. */
export function appSluice(r: Rig): Sluice {
  return createSluice({
    providers: [
      deepseek({ baseURL: r.primary.url, apiKey: 'sim' }),
      groq({
        baseURL: r.fallback.url,
        apiKey: 'sim',
        modelMap: { 'deepseek-chat': 'llama-3.3-70b-versatile' },
      }),
    ],
    tiers: { free: { limits: { default: { limit: 10, window: '1m' } }, budget: { daily: 1 } } },
    retry: { retries: 1, minTimeout: 5, maxTimeout: 10 },
  })
}

export const question = (content: string) => ({
  model: 'deepseek-chat',
  messages: [{ role: 'user' as const, content }],
})

export interface Profile {
  name: 'deepseek' | 'groq'
  models: string[]
  latencyMs: { min: number; max: number }
  /** Requests and tokens per minute before 429s; 0 for none. */
  rpm: number
  tpm: number
  /** DeepSeek reports prompt cache hits/misses; Groq sends x-ratelimit-* headers. */
  reportsCacheHits: boolean
  sendsRateLimitHeaders: boolean
}

export const PROFILES: Record<Profile['name'], Profile> = {
  deepseek: {
    name: 'deepseek',
    models: ['deepseek-chat', 'deepseek-reasoner'],
    latencyMs: { min: 400, max: 1200 },
    rpm: 0,
    tpm: 0,
    reportsCacheHits: true,
    sendsRateLimitHeaders: false,
  },
  groq: {
    name: 'groq',
    models: ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant', 'openai/gpt-oss-20b', 'openai/gpt-oss-120b'],
    latencyMs: { min: 80, max: 300 },
    // Groq's free tier for llama-3.3-70b-versatile: 30 RPM, 6,000 TPM (as the seed notes).
    rpm: 30,
    tpm: 6000,
    reportsCacheHits: false,
    sendsRateLimitHeaders: true,
  },
}

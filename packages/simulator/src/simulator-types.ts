import type { Profile } from './profiles'

export interface Outage {
  /** ms after start (or after the last `reset()`). */
  start: number
  end: number
}

export interface SimulatorOptions {
  profile?: Profile['name']
  port?: number
  host?: string
  seed?: number
  latencyMs?: { min: number; max: number }
  /** Requests and tokens per window before 429s; 0 disables the limit. */
  rpm?: number
  tpm?: number
  /** The rate-limit window (default a minute): tests use a short one and scale rpm/tpm to it. */
  windowMs?: number
  /**
   * Requests one account may have in flight (DeepSeek caps concurrent requests): one more gets a
   * 429 at once. 0 or unset: no cap.
   */
  maxConcurrent?: number
  /** Probability (0..1) of an injected 500/503. */
  errorRate?: number
  /** Windows in which every request gets a 503. */
  outages?: Outage[]
  /** Required bearer token, if set. */
  apiKey?: string
  /**
   * Several accepted keys (a key pool), each with its own rpm/tpm window, as providers limit per
   * key. Any other key (or none) gets a 401; `revokeKey` turns one away.
   */
  apiKeys?: string[]
  /**
   * Every answer runs to its `max_tokens` (`finish_reason: 'length'`): the longest, dearest answer
   * a request allows, to test that budgets hold whatever the model says.
   */
  longAnswers?: boolean
  /** Cut SSE streams after this many chunks (to test mid-stream failures). */
  streamFailAfter?: number
  /**
   * Stream in pieces of this many characters (UTF-16 code units: a piece may end inside a word,
   * or between the halves of a character outside the BMP) instead of a word each.
   */
  streamChunkChars?: number
  /** The answer text to give every request (instead of the generated one), cut at `max_tokens`. */
  answerText?: string
  /** Bodies longer than this many characters get their connection dropped (default 5,000,000). */
  maxBodyChars?: number
}

export interface SimulatorStats {
  requests: number
  ok: number
  rateLimited: number
  injectedErrors: number
  outageErrors: number
  badRequests: number
  streams: number
  /** 429s for requests beyond `maxConcurrent` in flight. */
  concurrencyLimited: number
  /** The most requests that were in flight at once. */
  peakInFlight: number
  /** Rate-limit windows opened (each allows rpm requests and tpm tokens). */
  windows: number
  /** Requests admitted in each window opened (without a key pool), the current one last. */
  admittedPerWindow: number[]
  /** The text a stream had sent when it was last cut (`streamFailAfter`). */
  lastCut?: string
  /** Requests that asked to continue a partial answer; the last one's partial text and what it answered. */
  continuations: number
  lastContinuation?: { prefix: string; content: string; form: 'prefix' | 'instruction' }
}

export interface Simulator {
  url: string
  profile: Profile
  stats: SimulatorStats
  /** Forces an outage on or off, whatever the windows say. */
  setOutage(on: boolean | undefined): void
  setErrorRate(rate: number): void
  /** Requests per pool key (with `apiKeys`), refused ones too. */
  requestsByKey: Record<string, number>
  /** From now on this key gets a 401, as a revoked key does. */
  revokeKey(key: string): void
  /** List prompts (a JSON array of requests) get one answer too few: a batch that does not split. */
  setMalformedLists(on: boolean): void
  close(): Promise<void>
}

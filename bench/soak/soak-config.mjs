// What every soak process is configured with, in one place (the orchestrator checks against it).
const rule = { limit: 5, window: '10s', algorithm: 'fixed-window' }
const perEndpoint = { chat: rule, ask: rule, translate: rule }

export const SOAK = {
  /** Users calls come from at random; a share of the calls comes from a few hot users. */
  users: 100_000,
  hotUsers: 5,
  hotShare: 0.15,
  /** Distinct prompts: repeated ones are cache hits. */
  prompts: 5_000,
  /** The load's mix: direct chats, streams, queued chats, batched translations, queue jobs. */
  mix: [
    ['chat', 0.3],
    ['stream', 0.2],
    ['queued', 0.2],
    ['batched', 0.15],
    ['job', 0.15],
  ],
  /** Every user: 5 calls per endpoint per 10 s (fixed window); hot users also $0.0005 a day. */
  limit: 5,
  windowMs: 10_000,
  budgetUsd: 0.0005,
  /** The most one call can cost (60 output tokens and a short prompt, at DeepSeek's prices) — bound for the estimate. */
  callBoundUsd: 0.0002,
  tiers: {
    free: { limits: perEndpoint },
    hot: { limits: perEndpoint, budget: { daily: 0.0005 } },
  },
  cacheTtl: '30s',
  lease: '5s',
  queuedTimeout: '60s',
  jobDeadlineMs: 120_000,
  maxInFlight: 400,
  /** Retention short enough that a run of minutes reaches its steady state. */
  jobRetention: '1m',
  usageRows: 20_000,
  usageRollupAfter: '1m',
  housekeeping: '10s',
}

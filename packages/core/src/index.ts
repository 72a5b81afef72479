export { ERROR_CODES, type SluiceErrorCode } from './errors/codes'
export { SluiceError, type SluiceErrorOptions } from './errors/sluice-error'
export { toHttp, type HttpError } from './errors/to-http'
export { parseDuration, type Duration } from './util/duration'
export { canonicalJson } from './util/canonical-json'
export { keyOf } from './util/keys'
export { BoundedMap } from './util/lru'

export type { RuleInput, TierInput } from './config/limits-schema'

export { compose } from './chain/compose'
export { named, type Call, type Middleware, type Next, type Outcome, type SluiceMeta } from './chain/types'

export * from './providers/types'
export { openAICompatible, type OpenAICompatibleOptions } from './providers/openai-compatible'
export { deepseek, type NamedProviderOptions } from './providers/deepseek'
export { groq } from './providers/groq'
export { parseUsage } from './providers/usage'
export { retryAfterFromHeaders } from './providers/retry-after'

export type * from './store/store'
export type * from './store/rate-limit-port'
export type * from './store/cache-port'
export type * from './store/usage-port'
export type * from './store/queue-port'
export type * from './store/breaker-port'
export type * from './store/metrics-port'
export { memoryStore, type MemoryStoreOptions } from './memory/memory-store'

export { RateLimiter, type RateLimiterOptions, type LimitRequest, type LimitResult } from './rate-limit/rate-limiter'
export { CacheService, type CacheServiceOptions, type CacheStats, type Invalidation } from './cache/cache-service'
export { ResilientAgent, type ResilientAgentOptions, type Target, type RunResult } from './resilience/resilient-agent'
export { QueueClient, type QueueClientOptions, type EnqueueInput, type JobView } from './queue/queue-client'
export type { JobContext, JobHandler } from './queue/worker'
export { CostTracker, type CostTrackerOptions, type Reservation, type CostReport, type ThresholdEvent } from './cost/cost-tracker'
export { DEFAULT_PRICES, type ModelPrice, type PriceTable } from './cost/prices'
export { Monitor, type Stats } from './monitor/monitor'

export { createSluice, type Sluice, type ChatResult, type SluiceEvents } from './sluice/create-sluice'
export type { SluiceOptions } from './sluice/sluice-schema'
export type { CallContext } from './sluice/request-schema'

// For adapter authors: the reference rate-limit arithmetic and the conformance helpers' key rules.
export { step as rateLimitStep, type LimitState } from './memory/rate-limit-math'

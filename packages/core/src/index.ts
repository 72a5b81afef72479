export type { CacheOptions } from './cache/cache-schema'
export {
  CacheService,
  type CacheServiceOptions,
  type CacheStats,
  type Invalidation,
} from './cache/cache-service'
export { compose } from './chain/compose'
export {
  type Call,
  type Middleware,
  type MiddlewarePair,
  type Next,
  named,
  type Outcome,
  type SluiceMeta,
  type StreamOutcome,
} from './chain/types'
export type { RuleInput, TierInput } from './config/limits-schema'
export {
  type CostReport,
  CostTracker,
  type CostTrackerOptions,
  type Reservation,
  type ThresholdEvent,
} from './cost/cost-tracker'
export { priceUsage } from './cost/price-usage'
export { DEFAULT_PRICES, type ModelPrice, type PriceTable } from './cost/prices'
export { ERROR_CODES, type SluiceErrorCode } from './errors/codes'
export { SluiceError, type SluiceErrorOptions } from './errors/sluice-error'
export { type HttpError, type ToHttpOptions, toHttp } from './errors/to-http'
export { type MemoryStoreOptions, memoryStore } from './memory/memory-store'
export { Monitor, type Stats } from './monitor/monitor'
export type { SavedBy, Savings } from './monitor/savings'
export type {
  OverrideEvent,
  OverrideInput,
  OverrideTarget,
  StoredOverride,
} from './overrides/override-schema'
export type { Overrides } from './overrides/overrides'
export { deepseek, type NamedProviderOptions } from './providers/deepseek'
export { groq } from './providers/groq'
export { type OpenAICompatibleOptions, openAICompatible } from './providers/openai-compatible'
export { retryAfterFromHeaders } from './providers/retry-after'
export * from './providers/types'
export { parseUsage } from './providers/usage'
export type { EnqueueInput } from './queue/job-schema'
export type { ProcessBatchOptions, ProcessOptions } from './queue/process-schema'
export {
  type JobView,
  type Owner,
  type Processing,
  QueueClient,
  type QueueClientOptions,
} from './queue/queue-client'
export type { QueueOptions } from './queue/queue-schema'
export type { BatchHandler, JobContext, JobHandler, StopResult } from './queue/worker'
export {
  type LimitRequest,
  type LimitResult,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limit/rate-limiter'
export type { BreakerOptions, RetryOptions } from './resilience/resilience-schema'
export {
  ResilientAgent,
  type ResilientAgentOptions,
  type RunResult,
  type Target,
} from './resilience/resilient-agent'
export { currentCallContext, hasCallScope, withCallContext } from './scope/call-scope'
export { type ChatResult, createSluice, type Sluice, type SluiceEvents } from './sluice/create-sluice'
export type { CallContext } from './sluice/request-schema'
export type { SluiceOptions } from './sluice/sluice-schema'
export type { WrappedTarget } from './sluice/wrapped-targets'
// Stores: the bundle type. Ports, shared arithmetic and the store guard are on '@sluice/core/adapter'.
export type { FullStore, PortName, Store } from './store/store'
export { CONTINUE_INSTRUCTION } from './stream/continue-stream'
export { observeStream, type StreamHooks } from './stream/observe-stream'
export { assembleChunks, replayCompletion } from './stream/stream-chunks'
export type { OtelApiLike } from './telemetry/otel-like'
export { canonicalJson } from './util/canonical-json'
export { type Duration, parseDuration } from './util/duration'

import type { z } from 'zod'
import { CacheService } from '../cache/cache-service'
import { type CapacityEvents, ProviderCapacity } from '../capacity/provider-capacity'
import { compose } from '../chain/compose'
import { toMiddleware } from '../chain/middleware-pair'
import type { Call, Middleware, MiddlewarePair, Outcome, SluiceMeta } from '../chain/types'
import { parseOptions, parseWith } from '../config/parse-options'
import { CompletionHistory } from '../cost/completion-history'
import { CostTracker, type ThresholdEvent } from '../cost/cost-tracker'
import { HitRows, hitRowOf } from '../cost/hit-rows'
import { SluiceError } from '../errors/sluice-error'
import { MetricsBuffer } from '../monitor/metrics-buffer'
import { Monitor } from '../monitor/monitor'
import type { OverrideEvent } from '../overrides/override-schema'
import { Overrides } from '../overrides/overrides'
import { modelFor } from '../providers/models'
import type { ChatChunk, ChatCompletion, ChatRequest, Usage } from '../providers/types'
import { ClaimGate } from '../queue/claim-gate'
import { QueueClient } from '../queue/queue-client'
import { RateLimiter } from '../rate-limit/rate-limiter'
import { type AgentEvents, ResilientAgent } from '../resilience/resilient-agent'
import { defaultStore } from '../store/default-store'
import type { FullStore, PortName } from '../store/store'
import { guardStore, markGuarded } from '../store/store-guard'
import { streamThrough } from '../stream/stream-through'
import { telemetryMiddleware } from '../telemetry/telemetry-middleware'
import { attachLogger } from './logging'
import { callMaker } from './make-call'
import { admissionMiddleware } from './middleware/admission'
import { batchStep } from './middleware/batch'
import { type BudgetDeps, budgetMiddleware } from './middleware/budget'
import { cacheMiddleware, coalesceMiddleware } from './middleware/cache'
import { metricsMiddleware, type Pricing } from './middleware/metrics'
import { CHAT_JOB, chatBatchHandler, chatJobHandler, queueMiddleware } from './middleware/queue'
import { resilientStep } from './middleware/resilient'
import { plainRequestBytes } from './plain-request'
import { type CallContext, chatRequestSchema } from './request-schema'
import { checkRequestSize } from './request-size'
import { type SluiceOptions, sluiceOptionsSchema } from './sluice-schema'
import { type WrappedTarget, wrappedTargets } from './wrapped-targets'

export type SluiceEvents = AgentEvents &
  CapacityEvents & {
    'budget:threshold': ThresholdEvent
    'override:set': OverrideEvent
    'override:cleared': OverrideEvent
  }
export type ChatResult = ChatCompletion & { sluice: SluiceMeta }

const PORTS: PortName[] = ['rateLimit', 'cache', 'usage', 'queue', 'breaker', 'metrics']

/** Builds a Sluice: one object that puts every production control in front of LLM calls. */
export function createSluice(options: SluiceOptions) {
  const o = parseOptions(sluiceOptionsSchema, options, 'options')
  const local = defaultStore()
  // Every call to a shared store gets a timeout (adapters set their own; others get 1 s).
  const given = o.store ? guardStore(o.store) : local
  // Ports the store does not provide stay in-process; storeReport() says which.
  const store: FullStore = markGuarded({
    name: given.name,
    ...(given.local ? { local: true } : {}),
    rateLimit: given.rateLimit ?? local.rateLimit,
    cache: given.cache ?? local.cache,
    usage: given.usage ?? local.usage,
    queue: given.queue ?? local.queue,
    breaker: given.breaker ?? local.breaker,
    metrics: given.metrics ?? local.metrics,
  })
  const shared = { store, prefix: o.prefix }

  // Each primitive parses its own slice of the (already validated) options.
  const limiter = new RateLimiter({
    ...shared,
    limits: options.limits,
    defaultLimit: options.defaultLimit,
    tiers: options.tiers,
    onStoreError: o.rateLimit.onStoreError,
  })
  // Metric writes (requests, errors, active users, cache hits) leave the response path together.
  const metricsBuffer = new MetricsBuffer(store.metrics)
  // Cache hits' usage rows (cost 0), written off the response path: the reports count them.
  const hitRows = new HitRows(store.usage)
  const cache = new CacheService({ ...shared, ...options.cache, metricsBuffer })
  const cost = new CostTracker({
    ...shared,
    tiers: options.tiers,
    prices: options.prices,
    ...(options.budget?.fallbackPrice ? { fallbackPrice: options.budget.fallbackPrice } : {}),
    thresholds: o.budget.thresholds,
    onStoreError: o.budget.onStoreError,
    app: o.budget.app,
    endpoints: o.budget.endpoints,
    group: o.budget.group,
    groups: o.budget.groups,
    mode: o.budget.mode,
  })
  // The fleet paces itself under each provider's limits, through the store's counters.
  const capacity = o.capacity.enabled
    ? new ProviderCapacity(o.capacity, {
        rateLimit: store.rateLimit,
        cache: store.cache,
        prefix: o.prefix,
        leaseMs: o.timeout + 5_000,
      })
    : undefined
  const agent = new ResilientAgent({
    providers: o.providers,
    retry: options.retry,
    breaker: options.breaker,
    timeout: o.timeout,
    breakerPort: store.breaker, // the fleet opens together and sends one half-open probe
    prefix: o.prefix,
    ...(capacity ? { capacity } : {}),
    defaultMaxTokens: o.budget.defaultMaxTokens,
  })
  const { worker: startWorker = true, ...queueOptions } = options.queue ?? {}
  const queue = options.queue ? new QueueClient({ ...queueOptions, store }) : undefined
  const monitor = new Monitor({
    metrics: store.metrics,
    buffer: metricsBuffer,
    prefix: o.prefix,
    cache,
    cost,
    ...(queue ? { queue } : {}),
    breakers: () => agent.breakerStates(),
    ...(capacity ? { capacity: () => capacity.views() } : {}),
  })
  const maxTokens = o.budget.defaultMaxTokens
  const overrides = o.overrides
    ? new Overrides({
        cache: store.cache,
        prefix: o.prefix,
        refreshMs: o.overrides.refresh,
        now: Date.now,
        tiers: Object.keys(o.tiers),
      })
    : undefined
  const budget: BudgetDeps = {
    cost,
    history: new CompletionHistory(),
    defaultMaxTokens: maxTokens,
    modelsFor: (model) => agent.providersFor(model).map((p) => modelFor(p, model)!),
  }

  const userMiddlewares: Middleware[] = []
  // compose() reads the array at dispatch time, so middlewares added later by use() take part.
  // Batching sits last, so every caller's limits, budget, cache entry and middlewares apply to it alone.
  const price: Pricing = (model, usage) => (model && usage ? cost.costOf([model], usage) : undefined)
  const batching = batchStep(
    o.batch,
    agent,
    (c) => resilientStep(agent, c),
    (calls, usd) => monitor.saved('batch', calls, usd),
    price,
  )
  const back = compose(userMiddlewares, (c) => batching.run(c))
  const front: Middleware[] = [
    ...(o.telemetry ? [telemetryMiddleware(o.telemetry.otel)] : []),
    metricsMiddleware(monitor, price),
    admissionMiddleware(limiter, maxTokens, cache, overrides),
    cacheMiddleware(cache, (call, hit) => hitRows.add(hitRowOf(call, hit))),
    budgetMiddleware(budget),
    coalesceMiddleware(cache),
    ...(queue ? [queueMiddleware(queue, o.queue!.timeout, batching.groupOf)] : []),
  ]
  const run = compose(front, back)
  const worker = queue && startWorker ? startChatWorker(queue) : undefined
  // With batched endpoints, a worker claims one group's queued chats at a time (from any instance).
  // Under provider capacity, it claims nothing more while its jobs wait for it (they stay in the
  // store, in priority order, for whichever worker's provider has room first).
  function startChatWorker(q: QueueClient) {
    const gate = capacity ? new ClaimGate() : undefined
    const handler = chatJobHandler(back, budget, o.runners, gate)
    const sizes = Object.values(o.batch).map((b) => b.maxSize)
    if (sizes.length === 0) return q.process(CHAT_JOB, handler, {}, gate)
    const batch = { maxSize: Math.max(...sizes), byGroup: true }
    return q.processBatch(CHAT_JOB, chatBatchHandler(handler), batch, gate)
  }

  const makeCall = callMaker(o, cache.enabled)

  // Validate only: the schema has no transforms, so the caller's object is used as it is.
  function validRequest(request: ChatRequest, streaming: boolean): ChatRequest {
    const bound = plainRequestBytes(request) // most of its JSON bytes, when it is a plain request
    if (bound === undefined) parseWith(chatRequestSchema, request, 'invalid_request', 'request')
    if (request.stream && !streaming)
      throw new SluiceError('invalid_request', 'request.stream: use sluice.stream() for streams', {
        path: 'request.stream',
      })
    if (bound === undefined || bound > o.maxRequestBytes) checkRequestSize(request, o.maxRequestBytes)
    agent.providersFor(request.model) // refuses a model no provider serves, before anything is counted
    return request
  }

  const sluice = {
    /** An OpenAI-shaped chat completion, plus `res.sluice` with what happened on the way. */
    async chat(request: ChatRequest, ctx: CallContext): Promise<ChatResult> {
      const call = makeCall('chat', ctx, { request: validRequest(request, false) })
      const outcome = await run(call)
      return { ...(outcome.value as ChatCompletion), sluice: call.meta }
    },

    /** Wraps any async LLM call with the same controls; the function gets an AbortSignal. */
    async call<I, R>(
      endpoint: string,
      input: I,
      ctx: Omit<CallContext, 'endpoint'>,
      fn: ((input: I, signal: AbortSignal) => Promise<R>) | WrappedTarget<I, R>[],
    ): Promise<R> {
      const targets = wrappedTargets(fn)
      const call = makeCall('call', { ...ctx, endpoint }, { input, run: targets[0]!.run as Call['run'] })
      if (Array.isArray(fn)) call.targets = targets as Call['targets']
      return (await run(call)).value as R
    },

    /**
     * Streams chunks through the same chain as chat: limits, budget, cache (a hit replays as a
     * stream), sharing of identical streams in flight, metrics. Falls back before the first
     * token, fails loudly after it; returns the call's meta when it ends.
     */
    stream(request: ChatRequest, ctx: CallContext): AsyncGenerator<ChatChunk, SluiceMeta> {
      const call = makeCall('chat', ctx, { request: validRequest(request, true), stream: true })
      return streamThrough(run, call)
    },

    /**
     * Adds a middleware around the upstream call (after rate limit, budget, cache and queue): a
     * function `(call, next)`, which sees streams too (`call.stream`; `next()` then resolves to
     * an outcome with `stream`), or a `{ wrapCall, wrapStream }` pair.
     */
    use(middleware: Middleware | MiddlewarePair) {
      userMiddlewares.push(toMiddleware(middleware))
      return this
    },

    middlewares(): string[] {
      return [...front, ...userMiddlewares]
        .map((m) => m.middlewareName ?? m.name ?? 'anonymous')
        .concat('resilient')
    },

    on<E extends keyof SluiceEvents>(event: E, listener: (payload: SluiceEvents[E]) => void): () => void {
      if (event === 'budget:threshold') return cost.events.on('budget:threshold', listener as never)
      if (event === 'key:revoked') return capacity ? capacity.events.on(event, listener as never) : () => {}
      if (event === 'override:set' || event === 'override:cleared')
        return overrides ? overrides.events.on(event, listener as never) : () => {}
      return agent.events.on(event as keyof AgentEvents, listener as never)
    },

    /**
     * Run-time overrides (with `overrides` in the options): `set({ userId } | { group }, { tier,
     * limits, budget, blocked, reason }, { ttl, by })`, `get`, `clear`. Undefined without them.
     */
    overrides,

    stats: () => monitor.stats(),
    prometheus: () => monitor.prometheus(),
    /** USD for a call's usage at this instance's prices, as of `at` (now; undefined for an unpriced model). */
    price: (model: string, usage: Usage, at?: number) => cost.costOf([model], usage, at),
    /** Which ports live in the store and which stayed in this process. */
    storeReport(): Record<PortName, 'store' | 'in-process'> {
      return Object.fromEntries(
        PORTS.map((p) => [p, given[p] && given !== local ? 'store' : 'in-process']),
      ) as Record<PortName, 'store' | 'in-process'>
    },
    counters: () => ({
      retries: agent.retries,
      fallbacks: agent.fallbacks,
      breakerTransitions: agent.breakerTransitions,
      unsettled: cost.unsettled,
      batches: batching.counters.batches,
      batchedCalls: batching.counters.batchedCalls,
      batchFallbacks: batching.counters.fallbacks,
    }),

    limiter,
    cache,
    cost,
    agent,
    monitor,
    queue,
    options: o as z.output<typeof sluiceOptionsSchema>,

    async close(): Promise<void> {
      await worker?.stop()
      await queue?.close()
      agent.close()
      await capacity?.close()
      await metricsBuffer.close()
      await hitRows.close()
      await o.store?.close?.()
    },
  }
  if (o.logger) attachLogger(sluice.on, o.logger)
  return sluice
}

export type Sluice = ReturnType<typeof createSluice>
export type { Logger } from './logging'
export type { Outcome }

import { z } from 'zod'
import { timerSchema } from '../config/duration-schema'
import { parseOptions } from '../config/parse-options'
import { SluiceError } from '../errors/sluice-error'
import { modelFor } from '../providers/models'
import type { ChatChunk, ChatCompletion, ChatRequest, Provider } from '../providers/types'
import type { BreakerPort } from '../store/breaker-port'
import { defaultStore } from '../store/default-store'
import { type OpenedStream, openWithFallback, streamWithFallback } from '../stream/open-with-fallback'
import { Emitter } from '../util/emitter'
import { keyOf } from '../util/keys'
import { abortError } from '../util/sleep'
import { type BreakerEvents, Breakers } from './breakers'
import { breakerSchema, retrySchema } from './resilience-schema'
import { retryAfterFailure } from './retry-after-failure'
import { canFallBack, isRetryable } from './retryable'
import { type Gate, SharedCircuit } from './shared-circuit'
import { chatTargets, runTarget, type Target } from './targets'
import { withTimeout } from './with-timeout'

export type { Target } from './targets'

const schema = z
  .object({
    providers: z.array(z.custom<Provider>((p) => typeof (p as Provider)?.chat === 'function')).default([]),
    retry: retrySchema.default(retrySchema.parse({})),
    breaker: breakerSchema.default(breakerSchema.parse({})),
    /** Per-attempt timeout. */
    timeout: timerSchema.prefault('60s'),
    /** Where the circuit state lives, so a fleet shares it (createSluice passes its store's port). */
    breakerPort: z
      .custom<BreakerPort>((v) => typeof (v as BreakerPort)?.compareAndSet === 'function')
      .optional(),
    /** Key namespace for the shared circuit state. */
    prefix: z.string().min(1).default('sluice'),
  })
  .strict()

export type ResilientAgentOptions = z.input<typeof schema>

export interface AgentEvents extends BreakerEvents {
  retry: { name: string; attempt: number; error: unknown }
  fallback: { from: string; to: string; error: unknown }
}

export interface RunResult<T> {
  value: T
  /** The target that answered. */
  provider: string
  /** Attempts across all targets. */
  attempts: number
  retries: number
  fallbacks: number
}

export interface RunOptions {
  signal?: AbortSignal
  timeoutMs?: number
  /** Told when an attempt fires (not when a breaker refuses it); the returned function, how it ended. */
  onAttempt?: (target: string) => (error?: unknown) => void
}

/**
 * Retries what can succeed (p-retry: exponential backoff with jitter, honouring Retry-After),
 * keeps a circuit breaker per target (opossum), and falls back to the next target in order.
 */
export class ResilientAgent {
  readonly events = new Emitter<AgentEvents>()
  readonly providers: readonly Provider[]
  private readonly o: z.output<typeof schema>
  private readonly breakers: Breakers
  private readonly shared: SharedCircuit
  // The fleet-wide open each local breaker is writing, awaited by the next attempt's gate.
  private readonly opening = new Map<string, Promise<void>>()
  retries = 0
  fallbacks = 0
  breakerTransitions = 0

  constructor(options: ResilientAgentOptions = {}) {
    this.o = parseOptions(schema, options, 'resilience')
    this.providers = this.o.providers
    const base = keyOf(this.o.prefix, 'breaker')
    this.shared = new SharedCircuit(
      {
        port: this.o.breakerPort ?? defaultStore().breaker,
        resetTimeoutMs: this.o.breaker.resetTimeout,
        probeLeaseMs: this.o.timeout,
        keyOf: (name) => `${base}:${keyOf(name)}`,
      },
      (name, state) => {
        this.breakerTransitions++
        if (state !== 'half-open') this.breakers.follow(name, state)
        this.events.emit(state === 'closed' ? 'breaker:close' : `breaker:${state}`, { name })
      },
    )
    this.breakers = new Breakers(this.o.breaker, (name) => {
      const write = this.shared
        .opened(name)
        .catch(() => {}) // the store is down: this instance's own breaker still protects it
        .finally(() => this.opening.delete(name))
      this.opening.set(name, write)
    })
  }

  breakerStates(): Record<string, string> {
    return {
      ...Object.fromEntries(this.providers.map((p) => [p.name, 'closed'])),
      ...this.breakers.states(),
      ...this.shared.states(),
    }
  }

  /** The fleet's say on this attempt; when the store cannot answer, this instance's own breaker decides. */
  private async gate(name: string): Promise<Gate> {
    await this.opening.get(name)
    try {
      return await this.shared.gate(name)
    } catch {
      return this.breakers.refuses(name) ? 'open' : 'closed'
    }
  }

  /**
   * The providers that can answer a request for `model`, in fallback order: those that serve it,
   * or map it to a model of their own. Refuses with invalid_request when none can.
   */
  providersFor(model: string): Provider[] {
    if (this.providers.length === 0)
      throw new SluiceError('invalid_config', 'providers: none configured', { path: 'providers' })
    const able = this.providers.filter((p) => modelFor(p, model) !== undefined)
    if (able.length === 0) {
      throw new SluiceError(
        'invalid_request',
        `request.model: no provider serves '${model}' (give a provider modelMap to route it)`,
        { path: 'request.model' },
      )
    }
    return able
  }

  chat(request: ChatRequest, options: RunOptions = {}): Promise<RunResult<ChatCompletion>> {
    return this.run(chatTargets(this.providersFor(request.model), request), options)
  }

  /** Runs targets in order until one succeeds. */
  async run<T>(targets: readonly Target<T>[], options: RunOptions = {}): Promise<RunResult<T>> {
    const stats = { attempts: 0, retries: 0 }
    let lastError: unknown
    for (const [index, target] of targets.entries()) {
      try {
        const value = await this.attemptWithRetries(target, options, stats)
        return {
          value,
          provider: target.name,
          attempts: stats.attempts,
          retries: stats.retries,
          fallbacks: index,
        }
      } catch (error) {
        lastError = error
        if (options.signal?.aborted) throw abortError(options.signal)
        const next = targets[index + 1]
        if (!next || !canFallBack(error)) break
        this.fallbacks++
        this.events.emit('fallback', { from: target.name, to: next.name, error })
      }
    }
    throw this.finalError(targets, lastError)
  }

  /**
   * Streams from the first target that produces a first chunk. A failure before the first chunk
   * falls back; one after it ends the stream with a clear error, never a silent truncation.
   */
  stream(
    request: ChatRequest,
    options: RunOptions = {},
    meta?: (r: Omit<RunResult<null>, 'value'>) => void,
  ): AsyncGenerator<ChatChunk> {
    return streamWithFallback(this, request, options, meta)
  }

  /** The same as `stream`, resolved once its first chunk is in: who answered, and the stream. */
  openStream(request: ChatRequest, options: RunOptions = {}): Promise<OpenedStream> {
    return openWithFallback(this, request, options)
  }

  close(): void {
    this.breakers.shutdown()
  }

  private async attemptWithRetries<T>(
    target: Target<T>,
    options: RunOptions,
    stats: { attempts: number; retries: number },
  ): Promise<T> {
    const breaker = this.breakers.get(target.name)
    const timeoutMs = options.timeoutMs ?? this.o.timeout
    const circuitOpen = () =>
      new SluiceError('circuit_open', `${target.name}: circuit open`, {
        provider: target.name,
        retryAfterMs: this.shared.retryAfterMs(target.name) || this.o.breaker.resetTimeout,
      })
    // Every attempt ends at its timeout or the caller's abort, whether or not the target listens.
    const attempt = () =>
      withTimeout(target.name, timeoutMs, options.signal, (abort) => runTarget(target, abort, timeoutMs))
    const once = async (): Promise<T> => {
      // Refused without firing: a short-circuited call is not an attempt and must not count.
      const gate = await this.gate(target.name)
      if (gate === 'open' || (gate === 'closed' && this.breakers.refuses(target.name))) throw circuitOpen()
      // Nor is one whose caller has already left: nothing goes up.
      if (options.signal?.aborted) throw abortError(options.signal)
      stats.attempts++
      const ended = options.onAttempt?.(target.name)
      try {
        const value =
          gate === 'probe' ? await this.probe(target.name, attempt) : ((await breaker.fire(attempt)) as T)
        ended?.()
        return value
      } catch (error) {
        const refused = (error as { code?: string })?.code === 'EOPENBREAKER'
        ended?.(refused ? circuitOpen() : error)
        if (refused) throw circuitOpen()
        throw error
      }
    }
    try {
      return await once()
    } catch (error) {
      return retryAfterFailure(once, error, {
        retry: this.o.retry,
        signal: options.signal,
        onRetry: (failure, attempt) => {
          stats.retries++
          this.retries++
          this.events.emit('retry', { name: target.name, attempt, error: failure })
        },
      })
    }
  }

  /** The fleet's one half-open probe, sent by this instance: its outcome closes or reopens the circuit. */
  private async probe<T>(name: string, attempt: () => Promise<T>): Promise<T> {
    try {
      const value = await attempt()
      await this.shared.probed(name, true).catch(() => {})
      return value
    } catch (error) {
      // A request-caused failure says nothing of the provider: the circuit closes all the same.
      await this.shared.probed(name, !isRetryable(error)).catch(() => {})
      throw error
    }
  }

  private finalError(targets: readonly Target<unknown>[], lastError: unknown): unknown {
    const states = this.breakerStates()
    const allOpen = targets.length > 0 && targets.every((t) => states[t.name] === 'open')
    if (allOpen) {
      const retryAfterMs = Math.min(...targets.map((t) => this.shared.retryAfterMs(t.name)))
      return new SluiceError('circuit_open', 'every provider is failing; try again later', {
        retryAfterMs,
        cause: lastError,
      })
    }
    return lastError
  }
}

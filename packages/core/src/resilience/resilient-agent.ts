import { z } from 'zod'
import { capacityStep } from '../capacity/capacity-step'
import { ProviderCapacity } from '../capacity/provider-capacity'
import { timerSchema } from '../config/duration-schema'
import { parseOptions } from '../config/parse-options'
import { estimatePromptTokens } from '../cost/estimate'
import { SluiceError } from '../errors/sluice-error'
import { modelFor } from '../providers/models'
import type { ChatChunk, ChatCompletion, ChatRequest, Provider } from '../providers/types'
import type { BreakerPort } from '../store/breaker-port'
import { defaultStore } from '../store/default-store'
import { type OpenedStream, openWithFallback, streamWithFallback } from '../stream/open-with-fallback'
import { Emitter } from '../util/emitter'
import { keyOf } from '../util/keys'
import { type Attempt, circuitStep, composeAttempt, retryStep, sendAttempt } from './attempt-steps'
import { TargetCircuit } from './circuit/circuit'
import { Circuits } from './circuit/circuits'
import { type FallbackDeps, fallBack } from './fallback'
import { breakerSchema, retrySchema } from './resilience-schema'
import { type AttemptCapacity, chatTargets, type Target } from './targets'

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
    /** Provider capacity shared by the fleet (createSluice makes it); without it nothing is paced. */
    capacity: z.custom<ProviderCapacity>((v) => v instanceof ProviderCapacity).optional(),
    /** Output tokens a request without max_tokens is expected to use (its capacity estimate). */
    defaultMaxTokens: z.number().int().positive().default(1024),
  })
  .strict()

export type ResilientAgentOptions = z.input<typeof schema>

export interface BreakerEvents extends Record<string, unknown> {
  'breaker:open': { name: string }
  'breaker:half-open': { name: string }
  'breaker:close': { name: string }
}

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
  /** How long the call waited for its providers' capacity, in ms. */
  capacityWaitMs: number
}

export interface RunOptions {
  signal?: AbortSignal
  timeoutMs?: number
  /**
   * Told when an attempt fires (not when a breaker refuses it), with what it drew on its
   * provider's capacity (read it when the attempt ends: what remains comes with the response);
   * the returned function, how it ended.
   */
  onAttempt?: (target: string, capacity?: AttemptCapacity) => (error?: unknown) => void
  /**
   * What a chat draws on its provider's capacity (tokens: prompt and output bound) and its place
   * in line (its priority; its user, whose calls take turns with other users').
   */
  capacity?: { tokens: number; priority: number; user?: string }
  /** Providers to try first, in this order (a stream's continuation: those that have not streamed it). */
  prefer?: readonly string[]
  /** Told when the call starts (true) and stops waiting for its providers' capacity. */
  onCapacityWait?: (waiting: boolean) => void
}

/**
 * Tries each target through its steps — retry (p-retry: exponential backoff with jitter,
 * honouring Retry-After) around its circuit (an opossum count per instance, the state shared by
 * the fleet) around provider capacity (when given) around the timed send — and falls back to the
 * next target in order.
 */
export class ResilientAgent {
  readonly events = new Emitter<AgentEvents>()
  readonly providers: readonly Provider[]
  private readonly o: z.output<typeof schema>
  private readonly circuits: Circuits
  private readonly attempt: <T>(attempt: Attempt<T>) => Promise<T>
  /** What fallback needs, made once (every call passes it). */
  private readonly fallbackTo: FallbackDeps
  retries = 0
  fallbacks = 0
  breakerTransitions = 0

  constructor(options: ResilientAgentOptions = {}) {
    this.o = parseOptions(schema, options, 'resilience')
    this.providers = this.o.providers
    const base = keyOf(this.o.prefix, 'breaker')
    const port = this.o.breakerPort ?? defaultStore().breaker
    this.circuits = new Circuits(
      (name) =>
        new TargetCircuit(name, {
          breaker: this.o.breaker,
          port,
          key: `${base}:${keyOf(name)}`,
          probeLeaseMs: this.o.timeout,
          now: Date.now,
          changed: (n, state) => {
            this.breakerTransitions++
            this.events.emit(state === 'closed' ? 'breaker:close' : `breaker:${state}`, { name: n })
          },
        }),
      this.o.breaker.rollingWindow,
    )
    this.fallbackTo = {
      circuits: this.circuits,
      onFallback: (from, to, error) => {
        this.fallbacks++
        this.events.emit('fallback', { from, to, error })
      },
    }
    const retry = retryStep(this.o.retry, (name, attempt, error) => {
      this.retries++
      this.events.emit('retry', { name, attempt, error })
    })
    // Provider capacity sits inside the circuit: a target whose circuit refuses (open, or its
    // fleet's probe out) is fallen back from at once, not waited for; an admitted try then waits
    // for capacity before it is sent.
    const capacity = this.o.capacity ? [capacityStep(this.o.capacity)] : []
    this.attempt = composeAttempt(
      [retry, circuitStep(this.circuits), ...capacity],
      sendAttempt(this.o.timeout),
    )
  }

  breakerStates(): Record<string, string> {
    return {
      ...Object.fromEntries(this.providers.map((p) => [p.name, 'closed'])),
      ...this.circuits.states(),
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
    return this.run(chatTargets(this.providersFor(request.model), request), this.withNeed(request, options))
  }

  /** A chat's draw on capacity when its caller did not say (a batch's packed request, a direct call). */
  withNeed(request: ChatRequest, options: RunOptions): RunOptions {
    if (!this.o.capacity || options.capacity) return options
    return {
      ...options,
      capacity: { tokens: this.tokensOf(request, estimatePromptTokens(request)), priority: 5 },
    }
  }

  /** The tokens a request may take of a TPM limit: its prompt and its output bound. */
  tokensOf(request: ChatRequest, promptTokens: number): number {
    return (
      promptTokens + Number(request.max_tokens ?? request.max_completion_tokens ?? this.o.defaultMaxTokens)
    )
  }

  /** Runs targets in order until one succeeds. */
  run<T>(targets: readonly Target<T>[], options: RunOptions = {}): Promise<RunResult<T>> {
    return fallBack(targets, options, this.attempt, this.fallbackTo)
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
    this.circuits.shutdown()
  }
}

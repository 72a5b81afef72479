import { checkedCompletion } from '../providers/answer-shape'
import { modelFor } from '../providers/models'
import type { CallOptions, ChatCompletion, ChatRequest, Provider } from '../providers/types'

/** An attempt's abort, whose signal is made only when read. */
export interface AttemptAbort {
  readonly signal: AbortSignal
}

/**
 * Marks a target's answer that keeps holding its provider's capacity after the attempt (a stream
 * opened at its first chunk holds its concurrency slot until it ends): the capacity step hands it
 * the release instead of releasing at once.
 */
export const KEEPS_CAPACITY = Symbol.for('sluice.keepsCapacity')
export type KeepsCapacity = { [KEEPS_CAPACITY]: (release: () => void) => void }

export const keepsCapacity = (value: unknown): value is KeepsCapacity =>
  typeof value === 'object' && value !== null && KEEPS_CAPACITY in value

/** What an attempt hands a provider besides its abort: where the response's headers go, which key. */
export interface SendWith {
  onHeaders?: (headers: Headers) => void
  key?: string
  /** What the attempt drew on its provider's capacity, for its trace (filled in as it goes). */
  capacity?: AttemptCapacity
}

/** One attempt's capacity: how long it waited, with which pool key, what the provider said is left. */
export interface AttemptCapacity {
  waitMs: number
  key?: string
  remainingRequests?: number
  remainingTokens?: number
}

/**
 * Something the agent can try: a provider, or any async call. `run` gets the attempt's signal,
 * which aborts at its timeout (`timeoutMs`) or when the caller gives up; `runWith` gets the
 * attempt's abort instead, so a target that may never read the signal (a provider in the
 * process) does not make one. A provider's target names the `model` it sends and its pool's
 * `keys` (the capacity it draws on), and sends as `sendWith` says (which key; where headers go).
 */
export type Target<T> = { name: string; model?: string; keys?: readonly string[] } & (
  | { run(signal: AbortSignal | undefined, timeoutMs: number): Promise<T> }
  | { runWith(abort: AttemptAbort, timeoutMs: number, sendWith?: SendWith): Promise<T> }
)

/** Runs a target with the attempt's abort, in whichever form it takes it. */
export function runTarget<T>(
  target: Target<T>,
  abort: AttemptAbort,
  timeoutMs: number,
  sendWith?: SendWith,
): Promise<T> {
  return 'runWith' in target
    ? target.runWith(abort, timeoutMs, sendWith)
    : target.run(abort.signal, timeoutMs)
}

/** A provider's call options whose `signal` is made only when the provider reads it. */
export function lazyOptions(abort: AttemptAbort, timeoutMs: number, sendWith?: SendWith): CallOptions {
  const options: CallOptions = {
    get signal() {
      return abort.signal
    },
    timeoutMs,
  }
  if (sendWith?.onHeaders) options.onHeaders = sendWith.onHeaders
  if (sendWith?.key !== undefined) options.key = sendWith.key
  return options
}

/** The providers' chats for one request, each answer checked to be a chat completion. */
export function chatTargets(providers: readonly Provider[], request: ChatRequest): Target<ChatCompletion>[] {
  return providers.map((p) => ({
    name: p.name,
    model: modelFor(p, request.model) ?? request.model,
    ...(p.keys ? { keys: p.keys } : {}),
    runWith: (abort, timeoutMs, sendWith) =>
      p.chat(request, lazyOptions(abort, timeoutMs, sendWith)).then((v) => checkedCompletion(p.name, v)),
  }))
}

import { checkedCompletion } from '../providers/answer-shape'
import { modelFor } from '../providers/models'
import type { CallOptions, ChatCompletion, ChatRequest, Provider } from '../providers/types'

/** An attempt's abort, whose signal is made only when read. */
export interface AttemptAbort {
  readonly signal: AbortSignal
}

/** What an attempt hands a target besides its abort: where the response's headers go. */
export type OnHeaders = ((headers: Headers) => void) | undefined

/**
 * Something the agent can try: a provider, or any async call. `run` gets the attempt's signal,
 * which aborts at its timeout (`timeoutMs`) or when the caller gives up; `runWith` gets the
 * attempt's abort instead, so a target that may never read the signal (a provider in the
 * process) does not make one. A provider's target names the `model` it sends (the capacity it
 * draws on) and passes the response's headers to `onHeaders`.
 */
export type Target<T> = { name: string; model?: string } & (
  | { run(signal: AbortSignal | undefined, timeoutMs: number): Promise<T> }
  | { runWith(abort: AttemptAbort, timeoutMs: number, onHeaders?: OnHeaders): Promise<T> }
)

/** Runs a target with the attempt's abort, in whichever form it takes it. */
export function runTarget<T>(
  target: Target<T>,
  abort: AttemptAbort,
  timeoutMs: number,
  onHeaders?: OnHeaders,
): Promise<T> {
  return 'runWith' in target
    ? target.runWith(abort, timeoutMs, onHeaders)
    : target.run(abort.signal, timeoutMs)
}

/** A provider's call options whose `signal` is made only when the provider reads it. */
export function lazyOptions(abort: AttemptAbort, timeoutMs: number, onHeaders?: OnHeaders): CallOptions {
  return {
    get signal() {
      return abort.signal
    },
    timeoutMs,
    ...(onHeaders ? { onHeaders } : {}),
  }
}

/** The providers' chats for one request, each answer checked to be a chat completion. */
export function chatTargets(providers: readonly Provider[], request: ChatRequest): Target<ChatCompletion>[] {
  return providers.map((p) => ({
    name: p.name,
    model: modelFor(p, request.model) ?? request.model,
    runWith: (abort, timeoutMs, onHeaders) =>
      p.chat(request, lazyOptions(abort, timeoutMs, onHeaders)).then((v) => checkedCompletion(p.name, v)),
  }))
}

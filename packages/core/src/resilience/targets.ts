import { checkedCompletion } from '../providers/answer-shape'
import type { CallOptions, ChatCompletion, ChatRequest, Provider } from '../providers/types'

/** An attempt's abort, whose signal is made only when read. */
export interface AttemptAbort {
  readonly signal: AbortSignal
}

/**
 * Something the agent can try: a provider, or any async call. `run` gets the attempt's signal,
 * which aborts at its timeout (`timeoutMs`) or when the caller gives up; `runWith` gets the
 * attempt's abort instead, so a target that may never read the signal (a provider in the
 * process) does not make one.
 */
export type Target<T> = { name: string } & (
  | { run(signal: AbortSignal | undefined, timeoutMs: number): Promise<T> }
  | { runWith(abort: AttemptAbort, timeoutMs: number): Promise<T> }
)

/** Runs a target with the attempt's abort, in whichever form it takes it. */
export function runTarget<T>(target: Target<T>, abort: AttemptAbort, timeoutMs: number): Promise<T> {
  return 'runWith' in target ? target.runWith(abort, timeoutMs) : target.run(abort.signal, timeoutMs)
}

/** A provider's call options whose `signal` is made only when the provider reads it. */
function lazyOptions(abort: AttemptAbort, timeoutMs: number): CallOptions {
  return {
    get signal() {
      return abort.signal
    },
    timeoutMs,
  }
}

/** The providers' chats for one request, each answer checked to be a chat completion. */
export function chatTargets(providers: readonly Provider[], request: ChatRequest): Target<ChatCompletion>[] {
  return providers.map((p) => ({
    name: p.name,
    runWith: (abort, timeoutMs) =>
      p.chat(request, lazyOptions(abort, timeoutMs)).then((v) => checkedCompletion(p.name, v)),
  }))
}

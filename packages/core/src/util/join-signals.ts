/** A signal that aborts when any of its sources does, and the call that unhooks it from them. */
export interface JoinedSignal {
  signal: AbortSignal
  /** Removes its listeners from the sources; call it when the work the signal guards is over. */
  release(): void
}

/**
 * Joins abort signals without `AbortSignal.any`, which on Node 20 keeps a reference to every
 * signal it ever made from a long-lived source (a server's shutdown signal passed to each call
 * grows without bound) and costs more than the call it guards. The joined signal takes the
 * reason of the first source to abort; `release()` leaves the sources as they were.
 */
export function joinSignals(sources: readonly (AbortSignal | undefined)[]): JoinedSignal {
  const live = sources.filter((s): s is AbortSignal => s !== undefined)
  if (live.length === 1) return { signal: live[0]!, release: noop }
  const controller = new AbortController()
  const already = live.find((s) => s.aborted)
  if (already) {
    controller.abort(already.reason)
    return { signal: controller.signal, release: noop }
  }
  const release = () => {
    for (const s of live) s.removeEventListener('abort', onAbort)
  }
  function onAbort(this: AbortSignal) {
    release()
    controller.abort(this.reason)
  }
  for (const s of live) s.addEventListener('abort', onAbort)
  return { signal: controller.signal, release }
}

function noop(): void {}

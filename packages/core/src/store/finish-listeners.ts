import type { JobRecord } from './queue-port'

const FINAL = new Set(['completed', 'failed', 'expired', 'cancelled'])

/** A job in this status has ended: it will not change again. */
export const isFinalStatus = (status: string): boolean => FINAL.has(status)

/**
 * The waiters of a queue port, by job id: `add` registers one (the port's `onFinished`),
 * `deliver(id)` reads the job and hands it to its waiters once it is final. The backend's push
 * channel is opened by `listen` when the first waiter comes and closed after the last; `listen`
 * gets `deliver` and a `recheck` to call once listening took hold (what finished before then was
 * pushed to nobody). It may return undefined when the backend has no pushes.
 */
export function finishListeners(o: {
  get(id: string): Promise<JobRecord | undefined>
  listen(deliver: (id: string) => void, recheck: () => void): (() => void) | undefined
}) {
  const waiting = new Map<string, Set<(job: JobRecord) => void>>()
  let stop: (() => void) | undefined
  const deliver = (id: string) => {
    if (!waiting.has(id)) return
    o.get(id).then(
      (job) => {
        if (!job || !isFinalStatus(job.status)) return
        for (const l of [...(waiting.get(id) ?? [])]) l(job)
      },
      () => {}, // the waiter polls as a backstop
    )
  }
  const recheck = () => {
    for (const id of [...waiting.keys()]) deliver(id)
  }
  return {
    deliver,
    add(id: string, listener: (job: JobRecord) => void): () => void {
      let set = waiting.get(id)
      if (!set) {
        set = new Set()
        waiting.set(id, set)
      }
      set.add(listener)
      stop ??= o.listen(deliver, recheck)
      return () => {
        set.delete(listener)
        if (set.size > 0) return
        waiting.delete(id)
        if (waiting.size === 0 && stop) {
          stop()
          stop = undefined
        }
      }
    },
  }
}

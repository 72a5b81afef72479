import { SluiceError } from '../errors/sluice-error'
import type { JobRecord, QueuePort } from '../store/queue-port'
import { abortError } from '../util/sleep'
import { jobError } from './job-error'

/**
 * Resolves with the job's result once it completes, as pushed by the store (polled every
 * `pollMs` only as a backstop); rejects when it fails (with the worker's own error, rebuilt whole), expires (`queue_timeout`) or is
 * cancelled, with
 * `queue_timeout` after `timeoutMs`, or `cancelled` when the signal aborts.
 */
export function waitForJob<R>(
  port: QueuePort,
  id: string,
  o: { timeoutMs: number; pollMs: number; signal?: AbortSignal },
): Promise<R> {
  const { timeoutMs } = o
  return new Promise<R>((resolve, reject) => {
    let settled = false
    const finish = (job: JobRecord) => {
      if (settled) return
      if (job.status === 'completed') end(() => resolve(JSON.parse(job.result ?? 'null') as R))
      else if (job.status === 'failed' || job.status === 'expired' || job.status === 'cancelled') {
        end(() => reject(jobError(job)))
      }
    }
    const check = () =>
      void port.get(id).then(
        (j) => j && finish(j),
        () => {},
      )
    const unsubscribe = port.onFinished(id, finish)
    const poll = setInterval(check, o.pollMs) // backstop for missed pushes
    const timer = setTimeout(
      () =>
        end(() =>
          reject(
            new SluiceError('queue_timeout', `job ${id} did not finish in ${timeoutMs}ms`, {
              details: { jobId: id },
            }),
          ),
        ),
      timeoutMs,
    )
    const onAbort = () => end(() => reject(abortError(o.signal!)))
    o.signal?.addEventListener('abort', onAbort, { once: true })
    function end(action: () => void) {
      if (settled) return
      settled = true
      unsubscribe()
      clearInterval(poll)
      clearTimeout(timer)
      o.signal?.removeEventListener('abort', onAbort)
      action()
    }
    check()
  })
}

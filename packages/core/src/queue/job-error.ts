import { ERROR_CODES, type SluiceErrorCode } from '../errors/codes'
import { SluiceError } from '../errors/sluice-error'
import type { JobRecord } from '../store/queue-port'

// A failed job's error is one string in every store. A SluiceError is kept whole as JSON behind
// this marker, so the waiter gets the same code, retryAfterMs and details the worker saw; any
// other error is kept as its message.
const MARK = 'sluice-error:'

interface Kept {
  code: SluiceErrorCode
  message: string
  retryAfterMs?: number
  status?: number
  provider?: string
  path?: string
  retryable?: boolean
  details?: Record<string, unknown>
}

/** The string a failed job keeps for its error. */
export function encodeJobError(error: unknown): string {
  if (!SluiceError.is(error)) return error instanceof Error ? error.message : String(error)
  const kept: Kept = { code: error.code, message: error.message }
  if (error.retryAfterMs !== undefined) kept.retryAfterMs = error.retryAfterMs
  if (error.status !== undefined) kept.status = error.status
  if (error.provider !== undefined) kept.provider = error.provider
  if (error.path !== undefined) kept.path = error.path
  if (error.retryable) kept.retryable = true
  if (Object.keys(error.details).length > 0) kept.details = error.details
  try {
    return MARK + JSON.stringify(kept)
  } catch {
    // Details that do not serialise (a cycle, a BigInt): the rest still travels.
    const { details: _, ...rest } = kept
    return MARK + JSON.stringify(rest)
  }
}

function decode(text: string): Kept | undefined {
  if (!text.startsWith(MARK)) return undefined
  try {
    const kept = JSON.parse(text.slice(MARK.length)) as Kept
    return (ERROR_CODES as readonly string[]).includes(kept.code) ? kept : undefined
  } catch {
    return undefined
  }
}

/** The message of a job's kept error, as `status()` shows it. */
export function jobErrorMessage(text: string): { message: string; code?: SluiceErrorCode } {
  const kept = decode(text)
  return kept ? { message: kept.message, code: kept.code } : { message: text }
}

/**
 * The error a waiter rejects with for a job that ended without a result: the worker's own
 * SluiceError rebuilt whole; `queue_timeout` for a job that expired before it ran; `cancelled`
 * for a cancelled one; `provider_error` for any other failure.
 */
export function jobError(job: Pick<JobRecord, 'id' | 'status' | 'error'>): SluiceError {
  const facts = { jobId: job.id, status: job.status }
  const kept = job.error === undefined ? undefined : decode(job.error)
  if (job.status === 'failed' && kept) {
    const { code, message, details, ...options } = kept
    return new SluiceError(code, message, { ...options, details: { ...details, ...facts } })
  }
  const text = job.error === undefined ? '' : jobErrorMessage(job.error).message
  if (job.status === 'expired') {
    return new SluiceError('queue_timeout', `job ${job.id} expired before it ran`, { details: facts })
  }
  const code = job.status === 'cancelled' ? 'cancelled' : 'provider_error'
  return new SluiceError(code, `job ${job.status}: ${text}`.trim(), { details: facts })
}

import { SluiceError } from '../errors/sluice-error'

/** add() refused: the user already has `have` unfinished jobs, the most allowed is `limit`. */
export function queueFull(have: number, limit: number): SluiceError {
  return new SluiceError(
    'rate_limited',
    `queue: this user already has ${have} unfinished jobs (the most is ${limit})`,
    { details: { reason: 'queue_full', limit, remaining: 0 } },
  )
}

/** add() refused: a job with this id is already in the queue (or still kept after finishing). */
export function duplicateJob(id: string): SluiceError {
  return new SluiceError('invalid_request', `queue: a job with id '${id}' already exists`, {
    path: 'job.id',
  })
}

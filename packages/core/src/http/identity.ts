import { SluiceError } from '../errors/sluice-error'
import type { CallContext } from '../sluice/request-schema'

/**
 * Who is calling, from the app's own auth (a session, a verified JWT): never from a header the
 * client sets. Undefined when the request carries no identity.
 */
export type Identify<R> = (request: R) => CallContext | undefined | Promise<CallContext | undefined>

/** The request's call context, or `forbidden` when the app's auth found nobody. */
export async function contextOf<R>(identify: Identify<R>, request: R): Promise<CallContext> {
  const ctx = await identify(request)
  if (!ctx) throw new SluiceError('forbidden', 'the request carries no identity')
  return ctx
}

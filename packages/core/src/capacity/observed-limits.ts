import { parseResetDuration } from '../providers/retry-after'

/** What a provider's `x-ratelimit-*` headers say of its limits and of what is left. */
export interface ObservedLimits {
  rpm?: number
  tpm?: number
  remainingRequests?: number
  remainingTokens?: number
  /** ms until the requests' (or tokens') window is full again. */
  resetRequestsMs?: number
  resetTokensMs?: number
}

const count = (headers: Headers, name: string) => {
  const v = headers.get(name)
  const n = v === null ? Number.NaN : Number(v)
  return Number.isFinite(n) && n >= 0 ? n : undefined
}
const reset = (headers: Headers, name: string) => {
  const v = headers.get(name)
  return v === null ? undefined : parseResetDuration(v)
}

/** The limits in a response's headers (Groq's and OpenAI's names); undefined when there are none. */
export function observedLimits(headers: Headers): ObservedLimits | undefined {
  const o: ObservedLimits = {}
  const put = <K extends keyof ObservedLimits>(k: K, v: number | undefined) => {
    if (v !== undefined) o[k] = v
  }
  put('rpm', count(headers, 'x-ratelimit-limit-requests'))
  put('tpm', count(headers, 'x-ratelimit-limit-tokens'))
  put('remainingRequests', count(headers, 'x-ratelimit-remaining-requests'))
  put('remainingTokens', count(headers, 'x-ratelimit-remaining-tokens'))
  put('resetRequestsMs', reset(headers, 'x-ratelimit-reset-requests'))
  put('resetTokensMs', reset(headers, 'x-ratelimit-reset-tokens'))
  return Object.keys(o).length > 0 ? o : undefined
}

/** How long the provider says it is full, from what it has left: 0 when it has room. */
export function fullForMs(o: ObservedLimits): number {
  let ms = 0
  if (o.remainingRequests === 0) ms = Math.max(ms, o.resetRequestsMs ?? 1_000)
  if (o.remainingTokens === 0) ms = Math.max(ms, o.resetTokensMs ?? 1_000)
  return ms
}

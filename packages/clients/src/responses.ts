import { type ChatResult, toHttp } from '@sluice/core'

/** Headers every answer carries: what Sluice did with the call. */
export function metaHeaders(meta: ChatResult['sluice'] | undefined): Record<string, string> {
  if (!meta) return {}
  return {
    'x-sluice-cached': String(meta.cached),
    ...(meta.provider ? { 'x-sluice-provider': meta.provider } : {}),
  }
}

/**
 * An error as an OpenAI-style error response: `toHttp`'s status, headers and body (Sluice's own
 * message, upstream text already redacted), and `x-should-retry: false`, so a client that retries
 * by itself does not retry what Sluice already retried or refused.
 */
export function errorResponse(error: unknown): Response {
  const { status, headers, body } = toHttp(error, { expose: true })
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': 'application/json', 'x-should-retry': 'false' },
  })
}

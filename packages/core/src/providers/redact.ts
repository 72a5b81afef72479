const MAX_TEXT = 300
// Key shapes of common LLM APIs (sk-…, gsk_…, xai-…) and any bearer token.
const KEY_SHAPES = /\b(?:sk|gsk|pk|rk|xai|key|api)[-_][A-Za-z0-9_-]{8,}/gi
const BEARER = /\bBearer\s+[^\s"',;]+/gi

/**
 * Removes credentials from text that came from upstream (an error body that echoes the request,
 * a network error that names the URL) before it reaches a message, a log line or an event: the
 * provider's own secrets wherever they appear, and anything shaped like an API key or a bearer
 * token. Long text is cut, so an echoed prompt does not travel with every error.
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text
  for (const secret of secrets) if (secret.length >= 6) out = out.split(secret).join('[redacted]')
  out = out.replace(BEARER, 'Bearer [redacted]').replace(KEY_SHAPES, '[redacted]')
  return out.length > MAX_TEXT ? `${out.slice(0, MAX_TEXT)}…` : out
}

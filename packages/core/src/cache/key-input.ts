// Fields that change how an answer travels, not what it says.
const TRANSPORT = ['stream', 'stream_options', 'user'] as const

/**
 * What identifies an answer. A chat request (an object with `model` and `messages`) is keyed
 * without its transport fields, so the same question asked as a stream, or with another end-user
 * tag, finds the same entry — and `invalidate({ type, input: request })` finds what the chain
 * stored for that request. Anything else is keyed as it is.
 */
export function keyInput(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input
  const r = input as Record<string, unknown>
  if (typeof r.model !== 'string' || !Array.isArray(r.messages)) return input
  if (!TRANSPORT.some((f) => f in r)) return input
  const out: Record<string, unknown> = Object.create(null)
  for (const key of Object.keys(r)) if (!(TRANSPORT as readonly string[]).includes(key)) out[key] = r[key]
  return out
}

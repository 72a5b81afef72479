// Stands in for the app's own auth: a session store or a verified JWT. The tier comes from the
// account, never from anything the client sends.
export interface Account {
  userId: string
  tier: 'free' | 'premium'
}

const SESSIONS: Record<string, Account> = Object.assign(Object.create(null), {
  'token-alice': { userId: 'alice', tier: 'free' },
  'token-bob': { userId: 'bob', tier: 'premium' },
})

/** The account behind an `Authorization: Bearer …` header, or undefined. */
export function accountOf(authorization: string | undefined | null): Account | undefined {
  const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1]
  return token ? SESSIONS[token] : undefined
}

/** The chat request a route builds from the client's message. */
export function chatRequest(body: unknown) {
  const message = (body as { message?: unknown } | null)?.message
  return { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: message as string }] }
}

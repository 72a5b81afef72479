import type { Redis } from 'ioredis'

/** Keys matching a pattern, by SCAN (tests only; the adapter never lists keys). */
export async function scanKeys(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found
}

/** Deletes a test's own keys (its prefix), never anything else on the server. */
export async function deleteKeys(client: Redis, pattern: string): Promise<void> {
  const keys = await scanKeys(client, pattern)
  for (let i = 0; i < keys.length; i += 500) await client.del(...keys.slice(i, i + 500))
}

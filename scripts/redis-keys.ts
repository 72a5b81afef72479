// Tests' and examples' view of their own Redis keys, by SCAN (the adapter never lists keys).
// They remove their own prefix and nothing else on a shared server.

/** What these use of an ioredis client (the scripts folder does not depend on ioredis). */
interface ScanClient {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>
  unlink(...keys: string[]): Promise<number>
}

/** Keys matching a pattern. */
export async function scanKeys(client: ScanClient, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0')
  return found
}

/** Deletes the keys matching a pattern (a test's own prefix, `${prefix}:*`). */
export async function deleteKeys(client: ScanClient, pattern: string): Promise<void> {
  const keys = await scanKeys(client, pattern)
  for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500))
}

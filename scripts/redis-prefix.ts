// Removes a test's or an example's own Redis keys (its prefix), by SCAN, never anything else on
// the server.
/** What it uses of an ioredis client (the scripts folder does not depend on ioredis). */
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

export async function removePrefix(redis: ScanClient, prefix: string): Promise<void> {
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500)
    if (keys.length > 0) await redis.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
}

import type { RedisCommands } from './client'
import { runScript } from './scripts'
import { hashesScript } from './usage-scripts'

/** Hashes of one slot, read in one script: each as a Map of field to text (none when absent). */
export async function readHashes(
  client: RedisCommands,
  keys: readonly string[],
): Promise<Map<string, string>[]> {
  if (keys.length === 0) return []
  const replies = (await runScript(client, hashesScript, [...keys], [])) as unknown[][]
  return keys.map((_, i) => {
    const flat = replies[i] ?? []
    const hash = new Map<string, string>()
    for (let j = 0; j + 1 < flat.length; j += 2)
      hash.set(String(flat[j]).slice(1), String(flat[j + 1]).slice(1))
    return hash
  })
}

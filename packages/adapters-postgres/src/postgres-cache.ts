import type { CachePort } from '@sluice/core/adapter'
import type { Query } from './query'

const MS = `* interval '1 millisecond'`
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`

/**
 * The cache port on `cache_store`: expiry is lazy (an expired row reads as absent and is taken
 * over by the next writer) and `clean_expired()` frees the space. A lock is a row whose value
 * names its owner; only that owner renews or releases it. Pushes go by LISTEN/NOTIFY.
 */
export function postgresCache(
  query: Query,
  s: string,
  notify?: {
    channel: string
    payload: (c: string, m: string) => string
    subscribe: NonNullable<CachePort['subscribe']>
  },
): CachePort {
  const t = `${s}.cache_store`
  const port: CachePort = {
    async get(key) {
      const [row] = await query<{ value: string }>(
        `SELECT value FROM ${t} WHERE key = $1 AND expires_at > now()`,
        [key],
      )
      return row?.value
    },
    async set(key, value, ttlMs) {
      await query(
        `INSERT INTO ${t} (key, value, expires_at) VALUES ($1, $2, now() + $3::float8 ${MS})
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
        [key, value, ttlMs],
      )
    },
    async setIfAbsent(key, value, ttlMs) {
      const rows = await query(
        `INSERT INTO ${t} AS c (key, value, expires_at) VALUES ($1, $2, now() + $3::float8 ${MS})
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
         WHERE c.expires_at <= now()
         RETURNING 1`,
        [key, value, ttlMs],
      )
      return rows.length === 1
    },
    async extendIf(key, value, ttlMs) {
      const rows = await query(
        `UPDATE ${t} SET expires_at = now() + $3::float8 ${MS} WHERE key = $1 AND value = $2 AND expires_at > now() RETURNING 1`,
        [key, value, ttlMs],
      )
      return rows.length === 1
    },
    async delete(key) {
      const [row] = await query<{ live: boolean }>(
        `DELETE FROM ${t} WHERE key = $1 RETURNING expires_at > now() AS live`,
        [key],
      )
      return row?.live === true
    },
    async deleteIf(key, value) {
      const rows = await query(
        `DELETE FROM ${t} WHERE key = $1 AND value = $2 AND expires_at > now() RETURNING 1`,
        [key, value],
      )
      return rows.length === 1
    },
    async deletePrefix(prefix) {
      const rows = await query(`DELETE FROM ${t} WHERE key LIKE $1 AND expires_at > now() RETURNING 1`, [
        likePrefix(prefix),
      ])
      return rows.length
    },
  }
  if (notify) {
    port.publish = async (channel, message) => {
      await query('SELECT pg_notify($1, $2)', [notify.channel, notify.payload(channel, message)])
    }
    port.subscribe = notify.subscribe
  }
  return port
}

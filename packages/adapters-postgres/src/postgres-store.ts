import {
  type Duration,
  durationOrOff,
  guardStore,
  parseDuration,
  SluiceError,
  type Store,
} from '@sluice/core/adapter'
import pg from 'pg'
import { startHousekeeping } from './housekeeping'
import { channelFor, quoteSchema } from './identifiers'
import { migrate } from './migrate'
import { postgresBreaker } from './postgres-breaker'
import { postgresCache } from './postgres-cache'
import { postgresMetrics } from './postgres-metrics'
import { postgresNotify } from './postgres-notify'
import { postgresQueue } from './postgres-queue'
import { postgresRateLimit } from './postgres-rate-limit'
import { postgresUsage } from './postgres-usage'
import { makeQuery } from './query'

export type PostgresStoreOptions = ({ pool: pg.Pool } | { connectionString: string }) & {
  /** Schema holding Sluice's tables (created if missing). */
  schema?: string
  /** Apply pending migrations on first use (default true); set false if you run migrate() yourself. */
  migrate?: boolean
  /**
   * Use named prepared statements (default true: parsed once per connection, much faster).
   * Set false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean
  /**
   * How long one store call may take (default '1s'). Past it the call fails with
   * store_unavailable and the port's policy applies: rate limits open or closed as configured.
   */
  timeout?: Duration
  /**
   * Called with errors of idle pool connections (the server restarted, a connection dropped).
   * The store always listens for them — an `'error'` event nobody listens to crashes Node — so
   * a pool you pass in without a listener of its own gets this one too.
   */
  onError?: (error: Error) => void
  /** How long finished jobs (and their results) stay readable (default '1h'). */
  jobRetention?: Duration
  /**
   * Claims and settles wait for their commit to reach the disk (default false: they commit
   * without waiting, about 30% more jobs/s; a server crash can then lose the last fraction of a
   * second of them, and those jobs run again: at least once, as after a lapsed lease). Adds
   * always wait.
   */
  queueDurableCommits?: boolean
  /**
   * Usage rows older than this roll up into daily totals per user, endpoint, tier, provider,
   * model and cached (`api_usage_daily`; `user_costs` and reports read both). Default '35d';
   * false keeps every row.
   */
  usageRollupAfter?: Duration | false
  /**
   * How often the store removes expired rows and old finished jobs and rolls up old usage rows,
   * bounded and by index, from one instance of the fleet at a time (default '1m'; false: never,
   * run cleanup() yourself).
   */
  housekeeping?: Duration | false
}

export interface PostgresStore extends Store {
  readonly pool: pg.Pool
  readonly schema: string
  /** Deletes expired rows; run it now and then (e.g. from a cron job). */
  cleanup(): Promise<number>
  /**
   * Applies pending migrations now (without the store timeout). Await it at start-up: otherwise
   * the first calls run them, and on a slow server may meet the timeout while they do.
   */
  ready(): Promise<void>
  /** Ends the pool if the store created it from a connection string. */
  close(): Promise<void>
}

/**
 * A PostgreSQL store. Ports: rateLimit, cache, usage, queue, breaker, metrics.
 * Pass your own `pool` (you close it) or a `connectionString` (the store owns and closes its pool).
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const timeoutMs = parseDuration(options?.timeout ?? '1s', 'postgresStore.timeout')
  if (timeoutMs < 1) {
    throw new SluiceError('invalid_config', 'postgresStore.timeout: must be longer than 0ms', {
      path: 'postgresStore.timeout',
    })
  }
  const owned = !options || !('pool' in options)
  const pool = owned ? newPool(options, timeoutMs) : options.pool
  if (!pool || typeof pool.query !== 'function') {
    throw new SluiceError('invalid_config', 'postgresStore: pool: expected a pg Pool', {
      path: 'postgresStore.pool',
    })
  }
  // An idle client's error (the server restarted) is emitted on the pool: unheard, it kills the process.
  if (owned || pool.listenerCount('error') === 0) pool.on('error', (error) => options.onError?.(error))
  const schemaName = options.schema ?? 'sluice'
  const schema = quoteSchema(schemaName)
  let migrated: Promise<void> | undefined
  const ready = () => {
    if (options.migrate === false) return Promise.resolve()
    migrated ??= migrate(pool, { schema: schemaName }).then(
      () => undefined,
      (error) => {
        migrated = undefined // let the next call try again
        throw error
      },
    )
    return migrated
  }
  const query = makeQuery(pool, ready, options.preparedStatements !== false)
  // One LISTEN/NOTIFY channel per schema.
  const channel = channelFor(schemaName)
  const notify = postgresNotify(pool, channel)
  let closing: Promise<void> | undefined
  const retentionMs = parseDuration(options.jobRetention ?? '1h', 'postgresStore.jobRetention')
  const rollupMs = durationOrOff(options.usageRollupAfter, '35d', 'postgresStore.usageRollupAfter')
  const housekeepMs = durationOrOff(options.housekeeping, '1m', 'postgresStore.housekeeping', true)
  const stopHousekeeping =
    housekeepMs === undefined
      ? () => {}
      : startHousekeeping(query, schema, {
          everyMs: housekeepMs,
          jobRetentionMs: retentionMs,
          usageRollupMs: rollupMs,
          onError: (error) => options.onError?.(error),
        })
  if (options.queueDurableCommits !== undefined && typeof options.queueDurableCommits !== 'boolean') {
    throw new SluiceError('invalid_config', 'postgresStore.queueDurableCommits: expected true or false', {
      path: 'postgresStore.queueDurableCommits',
    })
  }
  return guardStore(
    {
      name: 'postgres',
      pool,
      schema: schemaName,
      rateLimit: postgresRateLimit(query, schema, timeoutMs),
      cache: postgresCache(query, schema, { channel, payload: notify.payload, subscribe: notify.subscribe }),
      usage: postgresUsage(query, schema),
      queue: postgresQueue(query, schema, {
        retentionMs,
        durableCommits: options.queueDurableCommits === true,
        channel,
        subscribe: notify.subscribe,
      }),
      breaker: postgresBreaker(query, schema),
      metrics: postgresMetrics(query, schema),
      ready,
      async cleanup() {
        const [row] = await query<{ n: string }>(
          `SELECT ${schema}.clean_expired() + ${schema}.queue_trim($1, NULL) AS n`,
          [retentionMs],
        )
        return Number(row?.n ?? 0)
      },
      close() {
        // Twice is harmless (a pool ends once).
        closing ??= (async () => {
          stopHousekeeping()
          notify.close()
          if (owned) await pool.end()
        })()
        return closing
      },
    },
    { timeoutMs },
  )
}

function newPool(options: PostgresStoreOptions | undefined, timeoutMs: number): pg.Pool {
  const cs = (options as { connectionString?: unknown } | undefined)?.connectionString
  if (typeof cs !== 'string' || cs.length === 0) {
    throw new SluiceError('invalid_config', 'postgresStore: give { pool } or { connectionString }', {
      path: 'postgresStore.connectionString',
    })
  }
  // A connection attempt gives up with the call, so a dead server frees the waiting queue.
  return new pg.Pool({ connectionString: cs, max: 10, connectionTimeoutMillis: timeoutMs })
}

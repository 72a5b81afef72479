import type { Query } from './query'

export interface HousekeepingOptions {
  everyMs: number
  /** Finished jobs older than this go. */
  jobRetentionMs: number
  /** Usage rows older than this roll up into daily totals; undefined: rows are kept. */
  usageRollupMs: number | undefined
  onError: (error: Error) => void
}

/** Rows each table gives up per turn at most: a turn stays short however far behind it is. */
const PER_TURN = 10_000

/**
 * Keeps row counts flat without a cron job: every `everyMs`, one instance of the fleet (an
 * advisory lock taken for the statement, skipped by the others) removes expired rows and old
 * finished jobs and rolls up old usage rows, each by its own index and bounded. Stops with the
 * returned function; its timer never holds the process open.
 */
export function startHousekeeping(query: Query, s: string, o: HousekeepingOptions): () => void {
  let running = false
  const turn = async () => {
    if (running) return
    running = true
    try {
      await query(
        `SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext($1)) THEN
           ${s}.housekeep($2) + ${s}.queue_trim($3, $2)
           + CASE WHEN $4::float8 IS NULL THEN 0 ELSE ${s}.usage_rollup($4, $2) END
         ELSE 0 END AS n`,
        [`sluice.housekeep.${s}`, PER_TURN, o.jobRetentionMs, o.usageRollupMs ?? null],
      )
      // The queue's counter tree, folded in a statement of its own (its rows held briefly).
      await query(`SELECT ${s}.queue_ranks_fold($1)`, [PER_TURN])
    } catch (error) {
      o.onError(error as Error)
    } finally {
      running = false
    }
  }
  const timer = setInterval(() => void turn(), o.everyMs)
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer)
}

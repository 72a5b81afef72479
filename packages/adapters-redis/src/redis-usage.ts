import { emptyDayTotals, USD_EPSILON, type UsagePort, type UsageRow, utcDay } from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { readHashes } from './hashes'
import { runScript } from './scripts'
import { rolledUpRows, type UsageKeys } from './usage-rollup'
import { appendRowScript, reserveScript, rowsScript, settleScript, totalScript } from './usage-scripts'

const KEEP_ROWS_MS = 40 * 86_400_000
/** A day's totals are read for today; kept three days. */
const KEEP_DAY_MS = 3 * 86_400_000
const fmt = (n: number) => String(n)
const totalsOf = (keys: readonly string[], values: unknown[]) =>
  Object.fromEntries(keys.map((k, i) => [k, Number(values[i] ?? 0)]))

/**
 * The usage port: a user's counters (one hash-tag slot) reserved and settled by one script
 * each, with the core's `fitsBudget` rule; usage rows in a sorted set by time, written beside the
 * settle (another slot, so in parallel), rolled up into daily totals by the store's housekeeping
 * (`usage-rollup.ts`) and, as a last bound, trimmed to the newest `maxRows` and 40 days.
 */
export function redisUsage(
  client: RedisCommands,
  keyFor: (key: string) => string,
  maxRows: number,
  /** Told when a row is written past nine tenths of `maxRows` (the store rolls up at once). */
  onNearlyFull?: () => void,
): UsagePort & { readonly keys: UsageKeys } {
  const rowsKey = keyFor('usage:rows')
  const seqKey = keyFor('seq:{usage:rows}') // the rows' slot
  const keys: UsageKeys = { rows: rowsKey, daily: (day) => keyFor(`usage:daily:${day}:{usage:rows}`) }
  const dayKey = (day: string) => keyFor(`usage:day:${day}:{usage:rows}`)
  return {
    keys,
    async reserve(amountUsd, limits) {
      const args: (string | number)[] = [fmt(amountUsd), fmt(USD_EPSILON)]
      for (const l of limits) args.push(fmt(l.limitUsd), Math.ceil(l.ttlMs))
      const reply = (await runScript(
        client,
        reserveScript,
        limits.map((l) => keyFor(l.key)),
        args,
      )) as unknown[]
      const totals = totalsOf(
        limits.map((l) => l.key),
        reply.slice(2),
      )
      if (Number(reply[0]) === 1) return { ok: true, totals }
      return { ok: false, deniedBy: limits[Number(reply[1]) - 1]!.key, totals }
    },
    async settle(changes, row) {
      const args: (string | number)[] = []
      for (const c of changes) args.push(fmt(c.deltaUsd), Math.ceil(c.ttlMs))
      const [reply] = await Promise.all([
        changes.length === 0
          ? Promise.resolve([])
          : (runScript(
              client,
              settleScript,
              changes.map((c) => keyFor(c.key)),
              args,
            ) as Promise<unknown[]>),
        row
          ? appendRow(row).then((rows) => onNearlyFull && Number(rows) > maxRows * 0.9 && onNearlyFull())
          : undefined,
      ])
      return totalsOf(
        changes.map((c) => c.key),
        reply,
      )
    },
    async total(key) {
      return Number(await runScript(client, totalScript, [keyFor(key)], []))
    },
    async rows(since) {
      // Rolled-up days first (stamped at their day's start), then the rows themselves.
      const [daily, members] = await Promise.all([
        rolledUpRows(client, keys, since, Date.now()),
        runScript(client, rowsScript, [rowsKey], [Math.floor(since)]) as Promise<string[]>,
      ])
      return [...daily, ...members.map((m) => JSON.parse(String(m).slice(1)) as UsageRow)]
    },
    async dayTotals(day) {
      const [hash] = await readHashes(client, [dayKey(day)])
      const totals = emptyDayTotals()
      for (const [field, text] of hash!) {
        const v = Number(text)
        if (field === 'u') totals.usd = v
        else if (field === 'n') totals.requests = v
        else if (field === 'c') totals.cachedRequests = v
        else if (field.startsWith('t\n')) totals.byTier[field.slice(2)] = v
        else if (field.startsWith('e\n')) totals.byEndpoint[field.slice(2)] = v
      }
      return totals
    },
  }

  function appendRow(row: UsageRow) {
    return runScript(
      client,
      appendRowScript,
      [rowsKey, seqKey, dayKey(utcDay(row.at))],
      [
        row.at,
        JSON.stringify(row),
        maxRows,
        row.at - KEEP_ROWS_MS,
        fmt(row.costUsd),
        row.cached ? 1 : 0,
        row.tier,
        row.endpoint,
        KEEP_DAY_MS,
      ],
    )
  }
}

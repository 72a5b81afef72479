import { rollupLineOf, type UsageRow } from '@sluice/core/adapter'
import type { RedisCommands } from './client'
import { readHashes } from './hashes'
import { runScript } from './scripts'
import { oldestRowsScript, rollupScript } from './usage-scripts'

const DAY_MS = 86_400_000
/** Rolled-up days stay this long (a report reaches back at most this far). */
export const KEEP_DAILY_MS = 400 * DAY_MS
const BATCH = 1_000
const TURNS = 10

export interface UsageKeys {
  rows: string
  daily: (day: number) => string
}

/**
 * Rolls up usage rows older than `ageMs`, or the oldest beyond `keep` (nine tenths of `maxRows`
 * by default: before the hard cap would drop them), into per-day totals per user, endpoint, tier,
 * provider, model and cached: up to 10,000 rows a turn. Returns how many rows it rolled up.
 */
export async function rollUpUsage(
  client: RedisCommands,
  keys: UsageKeys,
  o: { ageMs: number; maxRows: number; now: number; keep?: number },
): Promise<number> {
  let moved = 0
  for (let turn = 0; turn < TURNS; turn++) {
    const members = (
      (await runScript(
        client,
        oldestRowsScript,
        [keys.rows],
        [o.now - o.ageMs, o.keep ?? Math.floor(o.maxRows * 0.9), BATCH],
      )) as string[]
    ).map((m) => String(m).slice(1))
    if (members.length === 0) break
    const byDay = new Map<number, (string | number)[]>()
    for (const member of members) {
      const row = JSON.parse(member.slice(16)) as UsageRow
      const day = Math.floor(row.at / DAY_MS)
      const line = rollupLineOf(row)
      let args = byDay.get(day)
      if (!args) {
        args = [KEEP_DAILY_MS]
        byDay.set(day, args)
      }
      args.push(member, line, String(row.costUsd), row.promptTokens, row.completionTokens, row.cachedTokens)
    }
    for (const [day, args] of byDay)
      moved += Number(await runScript(client, rollupScript, [keys.rows, keys.daily(day)], args))
    if (members.length < BATCH) break
  }
  return moved
}

/** The rolled-up days from `since`'s day to today, as rows (one per line, with `requests`). */
export async function rolledUpRows(
  client: RedisCommands,
  keys: UsageKeys,
  since: number,
  now: number,
): Promise<UsageRow[]> {
  const last = Math.floor(now / DAY_MS)
  const first = Math.max(Math.floor(since / DAY_MS), last - KEEP_DAILY_MS / DAY_MS)
  const days = Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i)
  const hashes = await readHashes(client, days.map(keys.daily)) // one round trip for every day
  const rows: UsageRow[] = []
  hashes.forEach((hash, i) => {
    const lines = new Map<string, Record<string, number>>()
    for (const [field, text] of hash) {
      const cut = field.lastIndexOf('\n')
      const line = field.slice(0, cut)
      let sums = lines.get(line)
      if (!sums) {
        sums = Object.create(null) as Record<string, number>
        lines.set(line, sums)
      }
      sums[field.slice(cut + 1)] = Number(text)
    }
    for (const [line, sums] of lines) {
      const [userId, endpoint, tier, provider, model, cached] = JSON.parse(line) as [
        string,
        string,
        string,
        string,
        string,
        number,
      ]
      rows.push({
        userId,
        endpoint,
        tier,
        provider,
        model,
        cached: cached === 1,
        costUsd: sums.u ?? 0,
        requests: sums.n ?? 0,
        promptTokens: sums.p ?? 0,
        completionTokens: sums.c ?? 0,
        cachedTokens: sums.k ?? 0,
        at: days[i]! * DAY_MS,
      })
    }
  })
  return rows
}

// Whether what a long run keeps stays flat: judged on the soak's report intervals after warm-up.

/** One report interval's figures, as the flatness judge reads them. */
export interface FlatSample {
  /** ms since the run started. */
  at: number
  rows?: Record<string, number>
  /** Distinct users that made a call that records usage (not queue jobs), so far. */
  usersSeen: number
  /** Mean heap (MB) per process over the interval. */
  heapMB: Record<string, number>
}

/**
 * State kept per user, with how much of it one user can hold: two spend counters (the day's and
 * the month's), and on PostgreSQL a rolled-up line per day for each endpoint (chat, ask,
 * translate) cached or not. It grows with the users seen, not with time; the rest must stay flat.
 */
export const PER_USER_BOUND: Record<string, number> = {
  'user spend keys': 2,
  spend_totals: 2,
  api_usage_daily: 6,
}

/** A time-proportional count (or a process's heap) may drift this much and still be flat. */
export const ROWS_DRIFT = 0.25
/** A count this small (second half's mean, in rows) does not grow with time, whatever its ratio. */
export const ROWS_FLOOR = 100
export const HEAP_DRIFT = 0.5

export interface Flatness {
  /** Judged at all: enough intervals after warm-up. */
  judged: boolean
  flat: boolean
  /** Per time-proportional count: the second half's mean over the first half's, less 1. */
  rowsGrowth: Record<string, number>
  /** Per process: the same for its mean heap. */
  heapGrowth: Record<string, number>
  /** Per per-user count: the most it held per user seen, at any interval. */
  perUser: Record<string, number>
  perUserWithinBound: boolean
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

/** Growth between the first and second half of a series (0 with fewer than two values). */
function growth(series: number[]): number {
  if (series.length < 2) return 0
  const half = Math.floor(series.length / 2)
  const first = mean(series.slice(0, half))
  return first === 0 ? 0 : mean(series.slice(series.length - half)) / first - 1
}

export function judgeFlatness(samples: FlatSample[], warmUpMs: number): Flatness {
  const perUser: Record<string, number> = Object.create(null)
  for (const s of samples)
    for (const [name, n] of Object.entries(s.rows ?? {}))
      if (name in PER_USER_BOUND && s.usersSeen > 0)
        perUser[name] = Math.max(perUser[name] ?? 0, n / s.usersSeen)
  // A few hot users and store-wide counters beside them: a little slack over the bound.
  const perUserWithinBound = Object.entries(perUser).every(([name, r]) => r <= PER_USER_BOUND[name]! + 0.01)
  const after = samples.filter((s) => s.at >= warmUpMs)
  const rowsGrowth: Record<string, number> = Object.create(null)
  const heapGrowth: Record<string, number> = Object.create(null)
  const withRows = after.filter((s) => s.rows)
  const small = new Set<string>()
  for (const name of Object.keys(withRows[0]?.rows ?? {})) {
    if (name in PER_USER_BOUND) continue
    const series = withRows.map((s) => s.rows![name] ?? 0)
    rowsGrowth[name] = growth(series)
    if (mean(series.slice(series.length - Math.floor(series.length / 2))) <= ROWS_FLOOR) small.add(name)
  }
  for (const proc of Object.keys(after[0]?.heapMB ?? {}))
    heapGrowth[proc] = growth(after.map((s) => s.heapMB[proc] ?? 0).filter((h) => h > 0))
  const judged = withRows.length >= 4
  const flat =
    judged &&
    perUserWithinBound &&
    Object.entries(rowsGrowth).every(([name, g]) => g <= ROWS_DRIFT || small.has(name)) &&
    Object.values(heapGrowth).every((g) => g <= HEAP_DRIFT)
  return { judged, flat, rowsGrowth, heapGrowth, perUser, perUserWithinBound }
}

/** The judgement as one line of the soak's output. */
export function flatnessLine(f: Flatness, warmUpMs: number): string {
  const pct = (g: number) => `${g >= 0 ? '+' : ''}${(g * 100).toFixed(0)}%`
  const list = (o: Record<string, number>, show: (v: number) => string) =>
    Object.entries(o)
      .map(([k, v]) => `${k} ${show(v)}`)
      .join(', ')
  const per = list(f.perUser, (v) => v.toFixed(2))
  const head = f.judged
    ? `${f.flat ? 'flat' : 'NOT FLAT'} after ${warmUpMs / 60_000} min (second half against first)`
    : 'too short to judge flatness'
  return `${head}: rows ${list(f.rowsGrowth, pct)}; heap ${list(f.heapGrowth, pct)}; per user seen: ${per} (bounds ${list(PER_USER_BOUND, String)})`
}

import { up as lateAfterLock } from './010-rate-limit-late-after-lock'

/**
 * The sliding log (algorithm `l`): a row's `log` holds the units admitted per bucket of a
 * hundredth of the window, `[bucket, units, …]` oldest first, the core's `slidingLog` written in
 * SQL: `log_kept` drops what left the window, `log_add` records a call (a negative cost gives
 * back the newest units first). `rate_limit_batch` (migration 10's) gains the branch and returns
 * each log counter's state before the call; its result type changes, so it is dropped and made
 * again. `s` is the quoted schema.
 */
export const up = (s: string) => {
  const batch = lateAfterLock(s)
  const edits: [string, string][] = [
    [`  tokens float8, now_ms float8)`, `  tokens float8, now_ms float8, log float8[])`],
    [
      `  fits boolean[]; wins bigint[]; curs float8[]; prvs float8[]; lvls float8[];`,
      `  fits boolean[]; wins bigint[]; curs float8[]; prvs float8[]; lvls float8[];
  kept float8[]; logs text[];`,
    ],
    [
      `tokens := 0; now_ms := t;
      RETURN NEXT;`,
      `tokens := 0; now_ms := t; log := '{}';
      RETURN NEXT;`,
    ],
    [
      `fits := '{}'; wins := '{}'; curs := '{}'; prvs := '{}'; lvls := '{}'; all_ok := true;`,
      `fits := '{}'; wins := '{}'; curs := '{}'; prvs := '{}'; lvls := '{}'; logs := '{}'; all_ok := true;`,
    ],
    [
      `          lvls[i] := lvl; wins[i] := 0; curs[i] := 0; prvs[i] := 0;
        ELSE`,
      `          lvls[i] := lvl; wins[i] := 0; curs[i] := 0; prvs[i] := 0; logs[i] := '{}';
        ELSIF p_algos[k] = 'l' THEN
          kept := ${s}.log_kept(r.log, t, p_windows[k]);
          fits[i] := ${s}.log_units(kept) + p_costs[k] <= p_limits[k];
          logs[i] := kept::text; wins[i] := 0; curs[i] := 0; prvs[i] := 0; lvls[i] := 0;
        ELSE`,
    ],
    [
      `          wins[i] := w; curs[i] := cur; prvs[i] := prv; lvls[i] := 0;`,
      `          wins[i] := w; curs[i] := cur; prvs[i] := prv; lvls[i] := 0; logs[i] := '{}';`,
    ],
    [
      `              allowed = true, expires_at = to_timestamp((t + 2 * p_windows[k]) / 1000) WHERE x.key = p_keys[k];
          ELSE`,
      `              allowed = true, expires_at = to_timestamp((t + 2 * p_windows[k]) / 1000) WHERE x.key = p_keys[k];
          ELSIF p_algos[k] = 'l' THEN
            UPDATE ${s}.rate_limits x SET log = ${s}.log_add(logs[i]::float8[], t, p_windows[k], p_costs[k]),
              updated_ms = t, allowed = true, expires_at = to_timestamp((t + 2 * p_windows[k]) / 1000)
              WHERE x.key = p_keys[k];
          ELSE`,
    ],
    [
      `        tokens := lvls[i]; now_ms := t;`,
      `        tokens := lvls[i]; now_ms := t; log := logs[i]::float8[];`,
    ],
  ]
  let fn = batch
  for (const [from, to] of edits) {
    if (!fn.includes(from))
      throw new Error(`migration 11: rate_limit_batch is not the one it amends (${from})`)
    fn = fn.replace(from, to)
  }
  return `
ALTER TABLE ${s}.rate_limits ADD COLUMN IF NOT EXISTS log float8[] NOT NULL DEFAULT '{}';

CREATE OR REPLACE FUNCTION ${s}.log_kept(p_log float8[], p_t float8, p_window float8) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  g float8 := greatest(1, ceil(p_window / 100));
  cut float8 := floor((p_t - p_window) / g);
  out float8[] := '{}';
BEGIN
  FOR j IN 1..coalesce(array_length(p_log, 1), 0) / 2 LOOP
    IF p_log[2 * j - 1] >= cut AND p_log[2 * j] > 0 THEN out := out || ARRAY[p_log[2 * j - 1], p_log[2 * j]]; END IF;
  END LOOP;
  RETURN out;
END
$fn$;

CREATE OR REPLACE FUNCTION ${s}.log_units(p_log float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS $fn$
  SELECT coalesce(sum(p_log[2 * j]), 0) FROM generate_series(1, coalesce(array_length(p_log, 1), 0) / 2) j
$fn$;

CREATE OR REPLACE FUNCTION ${s}.log_add(p_log float8[], p_t float8, p_window float8, p_cost float8) RETURNS float8[]
LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
  b float8 := floor(p_t / greatest(1, ceil(p_window / 100)));
  n int := coalesce(array_length(p_log, 1), 0);
  back float8 := -p_cost;
  take float8;
  i int := n - 1;
  out float8[] := '{}';
BEGIN
  IF p_cost > 0 THEN
    IF n >= 2 AND p_log[n - 1] = b THEN
      p_log[n] := p_log[n] + p_cost;
      RETURN p_log;
    END IF;
    RETURN p_log || ARRAY[b, p_cost];
  END IF;
  WHILE i >= 1 AND back > 0 LOOP
    take := least(back, p_log[i + 1]);
    p_log[i + 1] := p_log[i + 1] - take;
    back := back - take;
    i := i - 2;
  END LOOP;
  FOR j IN 1..n / 2 LOOP
    IF p_log[2 * j] > 0 THEN out := out || ARRAY[p_log[2 * j - 1], p_log[2 * j]]; END IF;
  END LOOP;
  RETURN out;
END
$fn$;

DROP FUNCTION IF EXISTS ${s}.rate_limit_batch(int[], float8[], text[], text[], float8[], float8[], float8[]);
${fn}`
}

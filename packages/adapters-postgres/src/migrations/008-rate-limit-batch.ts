/**
 * The rate-limit decisions of several callers in one call, one after another, each all or nothing
 * over its own counters as `rate_limit_many` decides one caller's. Every key of the callers still in time is
 * locked first, in key order (no deadlocks with other batches or callers); then each caller's
 * clock is read when its turn comes, never earlier than its rows' last write, so a later caller
 * sees an earlier one's writes and time never goes backwards in a row. A caller whose deadline
 * (server ms; 0 for none) has passed when the call starts changes nothing and gets one row with
 * `late`.
 * `p_sizes[c]` counters of caller c follow those of the callers before it in the other arrays.
 * A caller alone with several counters is a batch of one: `rate_limit_many` (migration 2) is no
 * longer called. `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE OR REPLACE FUNCTION ${s}.rate_limit_batch(
  p_sizes int[], p_deadlines float8[], p_keys text[], p_algos text[], p_costs float8[], p_limits float8[],
  p_windows float8[]
) RETURNS TABLE (caller int, late boolean, ok boolean, allowed boolean, win bigint, count float8, prev float8,
  tokens float8, now_ms float8)
LANGUAGE plpgsql AS $fn$
DECLARE
  pos int := 0;
  n int; k int; t float8; r record;
  w bigint; cur float8; prv float8; lvl float8; weight float8;
  fits boolean[]; wins bigint[]; curs float8[]; prvs float8[]; lvls float8[];
  all_ok boolean;
  gone boolean[] := '{}';
  live text[] := '{}';
BEGIN
  -- Callers past their deadline when the call starts touch nothing, not even a row of their own.
  t := extract(epoch from clock_timestamp()) * 1000;
  FOR c IN 1..array_length(p_sizes, 1) LOOP
    gone[c] := p_deadlines[c] > 0 AND t > p_deadlines[c];
    IF NOT gone[c] THEN live := live || p_keys[pos + 1 : pos + p_sizes[c]]; END IF;
    pos := pos + p_sizes[c];
  END LOOP;
  pos := 0;
  INSERT INTO ${s}.rate_limits (key, expires_at)
    SELECT DISTINCT x, now() FROM unnest(live) AS x ORDER BY x ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${s}.rate_limits WHERE key = ANY(live) ORDER BY key FOR UPDATE;
  FOR c IN 1..array_length(p_sizes, 1) LOOP
    n := p_sizes[c];
    caller := c;
    t := extract(epoch from clock_timestamp()) * 1000;
    IF gone[c] THEN
      late := true; ok := false; allowed := false; win := 0; count := 0; prev := 0; tokens := 0; now_ms := t;
      RETURN NEXT;
    ELSE
      SELECT greatest(max(x.updated_ms), t) INTO t FROM ${s}.rate_limits x WHERE x.key = ANY(p_keys[pos + 1 : pos + n]);
      fits := '{}'; wins := '{}'; curs := '{}'; prvs := '{}'; lvls := '{}'; all_ok := true;
      FOR i IN 1..n LOOP
        k := pos + i;
        SELECT * INTO r FROM ${s}.rate_limits x WHERE x.key = p_keys[k];
        IF p_algos[k] = 'b' THEN
          lvl := least(p_limits[k], r.tokens + (t - r.updated_ms) * p_limits[k] / p_windows[k]);
          fits[i] := lvl >= p_costs[k];
          lvls[i] := lvl; wins[i] := 0; curs[i] := 0; prvs[i] := 0;
        ELSE
          w := floor(t / p_windows[k])::bigint;
          cur := CASE WHEN r.win = w THEN r.count ELSE 0 END;
          prv := CASE WHEN r.win = w THEN r.prev WHEN r.win = w - 1 THEN r.count ELSE 0 END;
          weight := CASE WHEN p_algos[k] = 's' THEN (p_windows[k] - (t - w * p_windows[k])) / p_windows[k] ELSE 0 END;
          fits[i] := prv * weight + cur + p_costs[k] <= p_limits[k];
          wins[i] := w; curs[i] := cur; prvs[i] := prv; lvls[i] := 0;
        END IF;
        all_ok := all_ok AND fits[i];
      END LOOP;
      IF all_ok THEN
        FOR i IN 1..n LOOP
          k := pos + i;
          IF p_algos[k] = 'b' THEN
            UPDATE ${s}.rate_limits x SET tokens = least(p_limits[k], lvls[i] - p_costs[k]), updated_ms = t,
              allowed = true, expires_at = to_timestamp((t + 2 * p_windows[k]) / 1000) WHERE x.key = p_keys[k];
          ELSE
            UPDATE ${s}.rate_limits x SET win = wins[i], count = greatest(0, curs[i] + p_costs[k]), prev = prvs[i],
              updated_ms = t, allowed = true, expires_at = to_timestamp((t + 2 * p_windows[k]) / 1000)
              WHERE x.key = p_keys[k];
          END IF;
        END LOOP;
      END IF;
      FOR i IN 1..n LOOP
        late := false; ok := all_ok; allowed := fits[i]; win := wins[i]; count := curs[i]; prev := prvs[i];
        tokens := lvls[i]; now_ms := t;
        RETURN NEXT;
      END LOOP;
    END IF;
    pos := pos + n;
  END LOOP;
END
$fn$;
`

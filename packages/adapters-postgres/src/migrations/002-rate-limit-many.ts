/**
 * Several counters of one call decided together, all or nothing (an endpoint limit and the daily
 * total): the rows are locked in key order (no deadlocks between callers), the clock is read
 * once the locks are held and never earlier than any row's last write, every counter is decided
 * with the core's formulas, and all are written only if all fit. A call that starts past its
 * deadline (server ms; 0 for none) changes nothing and returns no rows. `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE OR REPLACE FUNCTION ${s}.rate_limit_many(
  p_keys text[], p_algos text[], p_costs float8[], p_limits float8[], p_windows float8[], p_deadline float8
) RETURNS TABLE (ok boolean, allowed boolean, win bigint, count float8, prev float8, tokens float8, now_ms float8)
LANGUAGE plpgsql AS $fn$
DECLARE
  t float8 := extract(epoch from clock_timestamp()) * 1000;
  n int := array_length(p_keys, 1);
  r record;
  w bigint; cur float8; prv float8; lvl float8; weight float8;
  fits boolean[] := '{}'; wins bigint[] := '{}'; curs float8[] := '{}'; prvs float8[] := '{}'; lvls float8[] := '{}';
  all_ok boolean := true;
BEGIN
  IF p_deadline > 0 AND t > p_deadline THEN RETURN; END IF;
  INSERT INTO ${s}.rate_limits (key, expires_at)
    SELECT k, now() FROM unnest(p_keys) AS k ORDER BY k ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${s}.rate_limits WHERE key = ANY(p_keys) ORDER BY key FOR UPDATE;
  SELECT greatest(max(updated_ms), extract(epoch from clock_timestamp()) * 1000) INTO t
    FROM ${s}.rate_limits WHERE key = ANY(p_keys);
  FOR i IN 1..n LOOP
    SELECT * INTO r FROM ${s}.rate_limits WHERE key = p_keys[i];
    IF p_algos[i] = 'b' THEN
      lvl := least(p_limits[i], r.tokens + (t - r.updated_ms) * p_limits[i] / p_windows[i]);
      fits[i] := lvl >= p_costs[i];
      lvls[i] := lvl; wins[i] := 0; curs[i] := 0; prvs[i] := 0;
    ELSE
      w := floor(t / p_windows[i])::bigint;
      cur := CASE WHEN r.win = w THEN r.count ELSE 0 END;
      prv := CASE WHEN r.win = w THEN r.prev WHEN r.win = w - 1 THEN r.count ELSE 0 END;
      weight := CASE WHEN p_algos[i] = 's' THEN (p_windows[i] - (t - w * p_windows[i])) / p_windows[i] ELSE 0 END;
      fits[i] := prv * weight + cur + p_costs[i] <= p_limits[i];
      wins[i] := w; curs[i] := cur; prvs[i] := prv; lvls[i] := 0;
    END IF;
    all_ok := all_ok AND fits[i];
  END LOOP;
  IF all_ok THEN
    FOR i IN 1..n LOOP
      IF p_algos[i] = 'b' THEN
        UPDATE ${s}.rate_limits SET tokens = least(p_limits[i], lvls[i] - p_costs[i]), updated_ms = t, allowed = true,
          expires_at = to_timestamp((t + 2 * p_windows[i]) / 1000) WHERE key = p_keys[i];
      ELSE
        UPDATE ${s}.rate_limits SET win = wins[i], count = greatest(0, curs[i] + p_costs[i]), prev = prvs[i],
          updated_ms = t, allowed = true, expires_at = to_timestamp((t + 2 * p_windows[i]) / 1000) WHERE key = p_keys[i];
      END IF;
    END LOOP;
  END IF;
  FOR i IN 1..n LOOP
    ok := all_ok; allowed := fits[i]; win := wins[i]; count := curs[i]; prev := prvs[i]; tokens := lvls[i]; now_ms := t;
    RETURN NEXT;
  END LOOP;
END
$fn$;
`

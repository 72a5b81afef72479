/**
 * The cache, usage, breaker and metrics ports. `api_usage` and the `user_costs` view follow seed
 * 000's shape, so an operator can read spend per user per day in SQL. Times are the server's.
 * `s` is the quoted schema.
 */
export const up = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.cache_store (
  key         text PRIMARY KEY,
  value       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS cache_store_expires_idx ON ${s}.cache_store (expires_at);
CREATE INDEX IF NOT EXISTS cache_store_prefix_idx ON ${s}.cache_store (key text_pattern_ops);

CREATE TABLE IF NOT EXISTS ${s}.spend_totals (
  key         text PRIMARY KEY,
  total       double precision NOT NULL DEFAULT 0,
  expires_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS ${s}.api_usage (
  id                 bigserial PRIMARY KEY,
  user_id            text NOT NULL,
  tier               text NOT NULL,
  agent_type         text NOT NULL,
  provider           text NOT NULL,
  model              text NOT NULL,
  prompt_tokens      integer NOT NULL,
  completion_tokens  integer NOT NULL,
  cached_tokens      integer NOT NULL,
  tokens_used        integer GENERATED ALWAYS AS (prompt_tokens + completion_tokens) STORED,
  cost_usd           numeric(14, 8) NOT NULL,
  cached             boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS api_usage_user_date_idx ON ${s}.api_usage (user_id, created_at);
CREATE INDEX IF NOT EXISTS api_usage_created_idx ON ${s}.api_usage (created_at);

CREATE OR REPLACE VIEW ${s}.user_costs AS
SELECT user_id,
       date_trunc('day', created_at) AS date,
       sum(tokens_used) AS total_tokens,
       sum(cost_usd) AS total_cost,
       count(*) AS total_requests,
       count(*) FILTER (WHERE cached) AS cached_requests
FROM ${s}.api_usage
GROUP BY user_id, date_trunc('day', created_at);

CREATE TABLE IF NOT EXISTS ${s}.breaker_state (
  name        text PRIMARY KEY,
  state       text NOT NULL,
  since_ms    double precision NOT NULL,
  version     bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ${s}.metric_counters (
  name        text PRIMARY KEY,
  value       double precision NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS ${s}.metric_members (
  name        text NOT NULL,
  member      text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (name, member)
);

-- Reserve, all or nothing: the user's counters locked in key order, the core's fitsBudget rule.
CREATE OR REPLACE FUNCTION ${s}.reserve_spend(p_keys text[], p_limits float8[], p_ttls float8[], p_amount float8, p_eps float8)
RETURNS TABLE (ok boolean, denied int, totals float8[]) LANGUAGE plpgsql AS $fn$
DECLARE
  spent float8[] := '{}';
  cur float8;
BEGIN
  INSERT INTO ${s}.spend_totals (key, total, expires_at)
    SELECT k, 0, now() FROM unnest(p_keys) AS k ORDER BY k ON CONFLICT (key) DO NOTHING;
  PERFORM 1 FROM ${s}.spend_totals WHERE key = ANY(p_keys) ORDER BY key FOR UPDATE;
  FOR i IN 1..array_length(p_keys, 1) LOOP
    SELECT CASE WHEN expires_at > now() THEN total ELSE 0 END INTO cur FROM ${s}.spend_totals WHERE key = p_keys[i];
    spent := spent || cur;
  END LOOP;
  FOR i IN 1..array_length(p_keys, 1) LOOP
    IF spent[i] + p_amount > p_limits[i] + p_eps OR (p_amount <= 0 AND spent[i] >= p_limits[i] - p_eps) THEN
      ok := false; denied := i; totals := spent; RETURN NEXT; RETURN;
    END IF;
  END LOOP;
  FOR i IN 1..array_length(p_keys, 1) LOOP
    spent[i] := spent[i] + p_amount;
    UPDATE ${s}.spend_totals SET total = spent[i], expires_at = now() + p_ttls[i] * interval '1 millisecond'
      WHERE key = p_keys[i];
  END LOOP;
  ok := true; denied := 0; totals := spent; RETURN NEXT;
END
$fn$;

-- Settle in one call: each counter moves by its delta (never below 0), and the usage row goes in.
CREATE OR REPLACE FUNCTION ${s}.settle_spend(p_keys text[], p_deltas float8[], p_ttls float8[], p_row jsonb)
RETURNS float8[] LANGUAGE plpgsql AS $fn$
DECLARE
  result float8[] := '{}';
  t float8;
BEGIN
  FOR i IN 1..coalesce(array_length(p_keys, 1), 0) LOOP
    INSERT INTO ${s}.spend_totals AS s (key, total, expires_at)
      VALUES (p_keys[i], greatest(0, p_deltas[i]), now() + p_ttls[i] * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE SET
      total = greatest(0, CASE WHEN s.expires_at > now() THEN s.total ELSE 0 END + p_deltas[i]),
      expires_at = EXCLUDED.expires_at
    RETURNING total INTO t;
    result := result || t;
  END LOOP;
  IF p_row IS NOT NULL THEN
    INSERT INTO ${s}.api_usage (user_id, tier, agent_type, provider, model, prompt_tokens, completion_tokens, cached_tokens, cost_usd, cached)
    VALUES (p_row->>'userId', p_row->>'tier', p_row->>'endpoint', p_row->>'provider', p_row->>'model',
            (p_row->>'promptTokens')::int, (p_row->>'completionTokens')::int, (p_row->>'cachedTokens')::int,
            (p_row->>'costUsd')::numeric, (p_row->>'cached')::boolean);
  END IF;
  RETURN result;
END
$fn$;

-- Rows past their expiry are already ignored by every read; this frees their space.
CREATE OR REPLACE FUNCTION ${s}.clean_expired() RETURNS bigint LANGUAGE sql AS $$
  WITH a AS (DELETE FROM ${s}.rate_limits WHERE expires_at < now() RETURNING 1),
       b AS (DELETE FROM ${s}.cache_store WHERE expires_at < now() RETURNING 1),
       c AS (DELETE FROM ${s}.spend_totals WHERE expires_at < now() RETURNING 1),
       d AS (DELETE FROM ${s}.metric_counters WHERE expires_at < now() RETURNING 1),
       e AS (DELETE FROM ${s}.metric_members WHERE expires_at < now() RETURNING 1)
  SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + (SELECT count(*) FROM c)
       + (SELECT count(*) FROM d) + (SELECT count(*) FROM e)
$$;
`

import { up as fleetPorts } from './003-fleet-ports'

/**
 * Usage at scale. `usage_day_totals`: each UTC day's spend, requests and cached requests per tier
 * and endpoint, moved by `settle_spend` in one row of the settling backend's own shard (its pid:
 * no settle waits on another's), so `stats()` reads a day in a few rows. `api_usage_daily`: rows
 * past a configured age rolled up per day, user, endpoint, tier, provider, model and cached
 * (`usage_rollup`, bounded, oldest first, by the created_at index); `user_costs` sums both.
 * `housekeep` is the bounded cleanup a store runs on its own: expired rows by their expiry
 * indexes (new ones for spend_totals and the metrics), at most `p_max` of each per call.
 * `s` is the quoted schema.
 */
export const up = (s: string) => {
  const settle = fleetPorts(s).match(/CREATE OR REPLACE FUNCTION [^\n]*settle_spend[\s\S]*?\$fn\$;\n/)![0]
  const settleWithDay = settle.replace(
    `  IF p_row IS NOT NULL THEN\n`,
    `  IF p_row IS NOT NULL THEN
    INSERT INTO ${s}.usage_day_totals AS d (day, tier, endpoint, shard, usd, requests, cached)
    VALUES ((now() AT TIME ZONE 'UTC')::date, p_row->>'tier', p_row->>'endpoint', pg_backend_pid(),
            (p_row->>'costUsd')::float8, 1, CASE WHEN (p_row->>'cached')::boolean THEN 1 ELSE 0 END)
    ON CONFLICT (day, tier, endpoint, shard) DO UPDATE
      SET usd = d.usd + excluded.usd, requests = d.requests + 1, cached = d.cached + excluded.cached;
`,
  )
  if (settleWithDay === settle)
    throw new Error('migration 13: settle_spend of migration 3 not found as expected')
  return `
CREATE TABLE IF NOT EXISTS ${s}.usage_day_totals (
  day       date NOT NULL,
  tier      text NOT NULL,
  endpoint  text NOT NULL,
  shard     int NOT NULL,
  usd       double precision NOT NULL,
  requests  bigint NOT NULL,
  cached    bigint NOT NULL,
  PRIMARY KEY (day, tier, endpoint, shard)
);
INSERT INTO ${s}.usage_day_totals (day, tier, endpoint, shard, usd, requests, cached)
SELECT (created_at AT TIME ZONE 'UTC')::date, tier, agent_type, 0, sum(cost_usd)::float8, count(*),
       count(*) FILTER (WHERE cached)
  FROM ${s}.api_usage WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
 GROUP BY 1, 2, 3
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS ${s}.api_usage_daily (
  day                date NOT NULL,
  user_id            text NOT NULL,
  tier               text NOT NULL,
  agent_type         text NOT NULL,
  provider           text NOT NULL,
  model              text NOT NULL,
  cached             boolean NOT NULL,
  prompt_tokens      bigint NOT NULL,
  completion_tokens  bigint NOT NULL,
  cached_tokens      bigint NOT NULL,
  cost_usd           numeric(18, 8) NOT NULL,
  requests           bigint NOT NULL,
  PRIMARY KEY (day, user_id, agent_type, tier, provider, model, cached)
);

CREATE INDEX IF NOT EXISTS spend_totals_expires_idx ON ${s}.spend_totals (expires_at);
CREATE INDEX IF NOT EXISTS metric_counters_expires_idx ON ${s}.metric_counters (expires_at);
CREATE INDEX IF NOT EXISTS metric_members_expires_idx ON ${s}.metric_members (expires_at);

${settleWithDay}
-- Rows older than p_age_ms (at most p_max, oldest first) become their day's totals.
CREATE OR REPLACE FUNCTION ${s}.usage_rollup(p_age_ms float8, p_max int) RETURNS bigint
LANGUAGE sql AS $$
  WITH old AS (
    SELECT id FROM ${s}.api_usage WHERE created_at < now() - p_age_ms * interval '1 millisecond'
     ORDER BY created_at LIMIT p_max FOR UPDATE SKIP LOCKED),
  gone AS (DELETE FROM ${s}.api_usage u USING old WHERE u.id = old.id RETURNING u.*),
  added AS (
    INSERT INTO ${s}.api_usage_daily AS d
    SELECT (created_at AT TIME ZONE 'UTC')::date, user_id, tier, agent_type, provider, model, cached,
           sum(prompt_tokens), sum(completion_tokens), sum(cached_tokens), sum(cost_usd), count(*)
      FROM gone GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (day, user_id, agent_type, tier, provider, model, cached) DO UPDATE SET
      prompt_tokens = d.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = d.completion_tokens + excluded.completion_tokens,
      cached_tokens = d.cached_tokens + excluded.cached_tokens,
      cost_usd = d.cost_usd + excluded.cost_usd, requests = d.requests + excluded.requests
    RETURNING 1)
  SELECT count(*) FROM gone
$$;

CREATE OR REPLACE VIEW ${s}.user_costs AS
SELECT user_id, date, sum(tokens)::bigint AS total_tokens, sum(cost) AS total_cost,
       sum(requests)::bigint AS total_requests, sum(cached_requests)::bigint AS cached_requests
FROM (
  SELECT user_id, date_trunc('day', created_at) AS date, tokens_used::bigint AS tokens, cost_usd AS cost,
         1::bigint AS requests, (CASE WHEN cached THEN 1 ELSE 0 END)::bigint AS cached_requests
    FROM ${s}.api_usage
  UNION ALL
  SELECT user_id, date_trunc('day', day::timestamp AT TIME ZONE 'UTC'), prompt_tokens + completion_tokens,
         cost_usd, requests, CASE WHEN cached THEN requests ELSE 0 END
    FROM ${s}.api_usage_daily
) u
GROUP BY user_id, date;

-- Bounded cleanup, each table by its expiry index: what went, all told.
CREATE OR REPLACE FUNCTION ${s}.housekeep(p_max int) RETURNS bigint LANGUAGE sql AS $$
  WITH a AS (DELETE FROM ${s}.rate_limits WHERE ctid IN (
             SELECT ctid FROM ${s}.rate_limits WHERE expires_at < now() LIMIT p_max) RETURNING 1),
       b AS (DELETE FROM ${s}.cache_store WHERE ctid IN (
             SELECT ctid FROM ${s}.cache_store WHERE expires_at < now() LIMIT p_max) RETURNING 1),
       c AS (DELETE FROM ${s}.spend_totals WHERE ctid IN (
             SELECT ctid FROM ${s}.spend_totals WHERE expires_at < now() LIMIT p_max) RETURNING 1),
       d AS (DELETE FROM ${s}.metric_counters WHERE ctid IN (
             SELECT ctid FROM ${s}.metric_counters WHERE expires_at < now() LIMIT p_max) RETURNING 1),
       e AS (DELETE FROM ${s}.metric_members WHERE ctid IN (
             SELECT ctid FROM ${s}.metric_members WHERE expires_at < now() LIMIT p_max) RETURNING 1),
       f AS (DELETE FROM ${s}.usage_day_totals WHERE day < (now() AT TIME ZONE 'UTC')::date - 3 RETURNING 1)
  SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM b) + (SELECT count(*) FROM c)
       + (SELECT count(*) FROM d) + (SELECT count(*) FROM e) + (SELECT count(*) FROM f)
$$;
`
}

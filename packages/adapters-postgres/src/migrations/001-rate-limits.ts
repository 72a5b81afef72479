/** Rate-limit state: one row per key. `s` is the quoted schema name. */
export const up = (s: string) => `
CREATE TABLE IF NOT EXISTS ${s}.rate_limits (
  key         text PRIMARY KEY,
  win         bigint NOT NULL DEFAULT 0,
  count       double precision NOT NULL DEFAULT 0,
  prev        double precision NOT NULL DEFAULT 0,
  tokens      double precision NOT NULL DEFAULT 0,
  updated_ms  double precision NOT NULL DEFAULT 0,
  allowed     boolean NOT NULL DEFAULT true,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS rate_limits_expires_idx ON ${s}.rate_limits (expires_at);

-- Rows past expires_at are already ignored by the window arithmetic; this frees their space.
CREATE OR REPLACE FUNCTION ${s}.clean_expired() RETURNS bigint LANGUAGE sql AS $$
  WITH gone AS (DELETE FROM ${s}.rate_limits WHERE expires_at < now() RETURNING 1)
  SELECT count(*) FROM gone
$$;
`

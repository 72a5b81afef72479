import { up as batch } from './008-rate-limit-batch'

/**
 * A caller of `rate_limit_batch` whose deadline passes while the call waits for its rows' locks
 * (another transaction holds one) changes nothing: its deadline is checked again when its turn
 * comes, after every lock is held, not only when the call starts (decision 5: a store call past
 * its timeout never takes effect). The function of migration 8 with that one check more. `s` is
 * the quoted schema.
 */
export const up = (s: string) => {
  const before = `    t := extract(epoch from clock_timestamp()) * 1000;
    IF gone[c] THEN`
  const sql = batch(s)
  if (!sql.includes(before)) throw new Error('migration 10: rate_limit_batch is not the one it amends')
  return sql.replace(
    before,
    `    t := extract(epoch from clock_timestamp()) * 1000;
    gone[c] := gone[c] OR (p_deadlines[c] > 0 AND t > p_deadlines[c]);
    IF gone[c] THEN`,
  )
}

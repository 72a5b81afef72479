import { script } from './scripts'

/**
 * Reserve, all or nothing: KEYS = a user's budget counters (one slot); ARGV = amount, epsilon,
 * then per counter its limit and ttlMs. The rule is the core's `fitsBudget`. Replies {1, 0,
 * totals after…} or {0, index of the refusing counter, totals before…}.
 */
export const reserveScript = script(
  `local amount, eps = tonumber(ARGV[1]), tonumber(ARGV[2])
local spent = {}
for i = 1, #KEYS do spent[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + i * 2])
  if spent[i] + amount > limit + eps or (amount <= 0 and spent[i] >= limit - eps) then
    local reply = {0, i}
    for j = 1, #KEYS do reply[#reply + 1] = string.format('%.17g', spent[j]) end
    return reply
  end
end
local reply = {1, 0}
for i = 1, #KEYS do
  local total = spent[i] + amount
  redis.call('SET', KEYS[i], string.format('%.17g', total), 'PX', ARGV[2 + i * 2])
  reply[#reply + 1] = string.format('%.17g', total)
end
return reply`,
  '90422c84e9e6b595490c75d216724d4dcb012553',
)

/** Settle: KEYS = counters; ARGV = per counter its delta and ttlMs. A counter never goes below 0. */
export const settleScript = script(
  `local reply = {}
for i = 1, #KEYS do
  local total = math.max(0, tonumber(redis.call('GET', KEYS[i]) or '0') + tonumber(ARGV[i * 2 - 1]))
  redis.call('SET', KEYS[i], string.format('%.17g', total), 'PX', ARGV[i * 2])
  reply[#reply + 1] = string.format('%.17g', total)
end
return reply`,
  'db5434235912b2017db5218872f3b36992e5e11c',
)

/**
 * KEYS[1] = the rows (a sorted set by time), KEYS[2] = their sequence, KEYS[3] = the row's UTC
 * day's totals (a hash; all one slot); ARGV = score, row, most rows kept, oldest score kept, then
 * the row's cost, cached (1/0), tier, endpoint and how long the day's totals stay. A row's member
 * starts with its sequence number, so rows of the same millisecond keep the order they came in.
 * The totals' fields: u (USD), n (requests), c (cached requests), t<LF>tier and e<LF>endpoint (USD).
 */
export const appendRowScript = script(
  `redis.call('ZADD', KEYS[1], ARGV[1], string.format('%016d', redis.call('INCR', KEYS[2])) .. ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(tonumber(ARGV[3]) + 1))
redis.call('HINCRBYFLOAT', KEYS[3], 'u', ARGV[5])
redis.call('HINCRBY', KEYS[3], 'n', 1)
if ARGV[6] == '1' then redis.call('HINCRBY', KEYS[3], 'c', 1) end
redis.call('HINCRBYFLOAT', KEYS[3], 't\\n' .. ARGV[7], ARGV[5])
redis.call('HINCRBYFLOAT', KEYS[3], 'e\\n' .. ARGV[8], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[9])
return redis.call('ZCARD', KEYS[1])`,
  'ae0a9c3e499d9b2b0745b205ba078b250a6c417d',
)

/** KEYS[1] = the rows; ARGV = since. Rows as '=' .. json (safe from reply parsing), oldest first. */
export const rowsScript = script(
  `local rows = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
for i = 1, #rows do rows[i] = '=' .. string.sub(rows[i], 17) end
return rows`,
  '8f151c2ae573a2143d630b46ca4d95d0cb7a74cd',
)

/** KEYS[1] = a counter; its value as text ('0' when absent). */
export const totalScript = script(
  `return string.format('%.17g', tonumber(redis.call('GET', KEYS[1]) or '0'))`,
  '3be79ddee482c30df6712083dd6f92a24579922d',
)

/**
 * KEYS = hashes of one slot (days' totals); per key its flat {field, value, …}, each as '=' .. text
 * (safe from reply parsing): every day a report asks for in one round trip.
 */
export const hashesScript = script(
  `local out = {}
for i = 1, #KEYS do
  local kv = redis.call('HGETALL', KEYS[i])
  for j = 1, #kv do kv[j] = '=' .. kv[j] end
  out[i] = kv
end
return out`,
  '8a63871b90b021c8000fa98996cb768820a482e6',
)

/**
 * The rows to roll up next: KEYS[1] = the rows; ARGV = the oldest score kept, how many rows may
 * stay, the most to return. Those older than the score, or the oldest beyond the count; as
 * '=' .. member, oldest first.
 */
export const oldestRowsScript = script(
  `local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
local batch = tonumber(ARGV[3])
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, batch)
if over > #rows then rows = redis.call('ZRANGE', KEYS[1], 0, math.min(over, batch) - 1) end
for i = 1, #rows do rows[i] = '=' .. rows[i] end
return rows`,
  '2d1b9de4b1d3832a1d36fd391889833e313a7068',
)

/**
 * Rolls rows of one UTC day into its totals, each exactly once: KEYS[1] = the rows, KEYS[2] =
 * the day's rolled-up hash (one slot); ARGV = how long the hash stays, then per row its member,
 * its line's field, USD, prompt, completion and cached tokens. A row another instance already
 * removed adds nothing. Fields: line<LF>u (USD), n (requests), p, c, k (tokens).
 */
export const rollupScript = script(
  `local moved = 0
for i = 2, #ARGV, 6 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    local f = ARGV[i + 1]
    redis.call('HINCRBYFLOAT', KEYS[2], f .. '\\nu', ARGV[i + 2])
    redis.call('HINCRBY', KEYS[2], f .. '\\nn', 1)
    redis.call('HINCRBY', KEYS[2], f .. '\\np', ARGV[i + 3])
    redis.call('HINCRBY', KEYS[2], f .. '\\nc', ARGV[i + 4])
    redis.call('HINCRBY', KEYS[2], f .. '\\nk', ARGV[i + 5])
    moved = moved + 1
  end
end
if moved > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return moved`,
  '21601cac7db4f31e937d1399ba81b2e0ba81cc4a',
)

import { script } from './scripts'

// Server time in ms (with sub-ms precision), so app instances whose clocks disagree still agree.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`

// State is one string per key ("a b c"), read with GET and written with SET … PX: the fewest
// redis.call()s per decision, since each one is most of a script's cost.

// A call that reaches the server after its deadline (server ms; 0 for none) changes nothing:
// its caller already gave up, and a reconnect replayed it or a frozen server woke up to it.
const LATE = (arg: number) => `local deadline = tonumber(ARGV[${arg}])
if deadline > 0 and now > deadline then return {-1, tostring(now)} end`

/**
 * Fixed and sliding window. KEYS[1] = "window count prev"; ARGV = cost, limit, windowMs,
 * sliding (1/0), peek (1/0), deadline. Decides with the core's formulas and returns the state
 * before the call plus now.
 */
export const windowScript = script(`${NOW}
${LATE(6)}
local cost, limit, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local win = math.floor(now / windowMs)
local count, prev = 0, 0
local s = redis.call('GET', KEYS[1])
if s then
  local sw, sc, sp = string.match(s, '(%S+) (%S+) (%S+)')
  sw = tonumber(sw)
  if sw == win then count = tonumber(sc); prev = tonumber(sp)
  elseif sw == win - 1 then prev = tonumber(sc) end
end
local weight = 0
if ARGV[4] == '1' then weight = (windowMs - (now - win * windowMs)) / windowMs end
local allowed = prev * weight + count + cost <= limit
if ARGV[5] ~= '1' and allowed then
  redis.call('SET', KEYS[1], string.format('%d %.17g %.17g', win, math.max(0, count + cost), prev), 'PX', math.ceil(windowMs * 2))
end
return {allowed and 1 or 0, tostring(now), tostring(win), tostring(count), tostring(prev)}`)

/** Token bucket. KEYS[1] = "tokens updatedAt"; ARGV = cost, limit, windowMs, peek (1/0), deadline. */
export const bucketScript = script(`${NOW}
${LATE(5)}
local cost, limit, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local level = limit
local s = redis.call('GET', KEYS[1])
if s then
  local tk, ts = string.match(s, '(%S+) (%S+)')
  level = math.min(limit, tonumber(tk) + math.max(0, now - tonumber(ts)) * limit / windowMs)
end
local allowed = level >= cost
if ARGV[4] ~= '1' and allowed then
  redis.call('SET', KEYS[1], string.format('%.17g %.17g', math.min(limit, level - cost), now), 'PX', math.ceil(windowMs * 2))
end
return {allowed and 1 or 0, tostring(now), tostring(level)}`)

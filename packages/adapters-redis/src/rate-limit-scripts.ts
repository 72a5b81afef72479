import { script } from './scripts'

// Server time in ms (with sub-ms precision), so app instances whose clocks disagree still agree.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000`

/**
 * Fixed and sliding window. KEYS[1] = hash {w, c, p}; ARGV = cost, limit, windowMs, sliding (1/0),
 * peek (1/0). Decides with the core's formulas and returns the state before the call plus now.
 */
export const windowScript = script(`${NOW}
local cost, limit, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local win = math.floor(now / windowMs)
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local count, prev = 0, 0
local sw = tonumber(s[1])
if sw == win then count = tonumber(s[2]) or 0; prev = tonumber(s[3]) or 0
elseif sw == win - 1 then prev = tonumber(s[2]) or 0 end
local weight = 0
if ARGV[4] == '1' then weight = (windowMs - (now - win * windowMs)) / windowMs end
local allowed = prev * weight + count + cost <= limit
if ARGV[5] ~= '1' and allowed then
  redis.call('HSET', KEYS[1], 'w', win, 'c', math.max(0, count + cost), 'p', prev)
  redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs * 2))
end
return {allowed and 1 or 0, tostring(now), tostring(win), tostring(count), tostring(prev)}`)

/** Token bucket. KEYS[1] = hash {tk, ts}; ARGV = cost, limit, windowMs, peek (1/0). */
export const bucketScript = script(`${NOW}
local cost, limit, windowMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local s = redis.call('HMGET', KEYS[1], 'tk', 'ts')
local level = limit
if s[1] then level = math.min(limit, tonumber(s[1]) + math.max(0, now - tonumber(s[2])) * limit / windowMs) end
local allowed = level >= cost
if ARGV[4] ~= '1' and allowed then
  redis.call('HSET', KEYS[1], 'tk', math.min(limit, level - cost), 'ts', now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(windowMs * 2))
end
return {allowed and 1 or 0, tostring(now), tostring(level)}`)

import { script } from './scripts'

/** Compare-and-set: ARGV = expected version (0 for none), state, since, ttlMs; 1 when written. */
export const breakerSetScript = script(
  `local v = redis.call('GET', KEYS[1])
local version = 0
if v then version = tonumber(string.match(v, '%S+ %S+ (%S+)')) end
if version ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. ' ' .. ARGV[3] .. ' ' .. (version + 1), 'PX', ARGV[4])
return 1`,
  '073e2e0e10d3ec9e8a2cdf23d0f4a5ba5965e134',
)

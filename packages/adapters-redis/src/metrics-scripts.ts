import { script } from './scripts'

/**
 * One flush: KEYS = counters then sets (all in the metrics slot). ARGV = number of counters,
 * then per counter: by, ttlMs; then per set: ttlMs, number of members, the members. Sets are
 * HyperLogLogs (PFADD), so a fleet's distinct users cost a few KB however many there are.
 */
export const metricsWriteScript = script(
  `local counters = tonumber(ARGV[1])
local a = 2
for i = 1, counters do
  redis.call('INCRBYFLOAT', KEYS[i], ARGV[a])
  redis.call('PEXPIRE', KEYS[i], ARGV[a + 1])
  a = a + 2
end
for i = counters + 1, #KEYS do
  local ttl, n = ARGV[a], tonumber(ARGV[a + 1])
  a = a + 2
  for from = a, a + n - 1, 500 do
    redis.call('PFADD', KEYS[i], unpack(ARGV, from, math.min(from + 499, a + n - 1)))
  end
  a = a + n
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 1`,
  '8c7918ef018b394ccf9506f788671e5ec7521460',
)

/** KEYS = counters; their values as text, '0' for missing ones. */
export const metricsGetScript = script(
  `local reply = {}
for i = 1, #KEYS do reply[i] = string.format('%.17g', tonumber(redis.call('GET', KEYS[i]) or '0')) end
return reply`,
  '13988bd5d0638624063392472a304773c98268e0',
)

/** KEYS = sets; the distinct members across them (PFCOUNT of their union). */
export const metricsCountScript = script(
  `if #KEYS == 0 then return 0 end
return redis.call('PFCOUNT', unpack(KEYS))`,
  '91a80411dc2fb25784f9c011b102aa9e90b75f9e',
)

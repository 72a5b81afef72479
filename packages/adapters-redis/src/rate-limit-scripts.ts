import { NOW_MS, script } from './scripts'

/**
 * Every rate-limit decision, for one counter or several (an endpoint limit and the daily total),
 * all or nothing. KEYS = the counters. ARGV = deadline, peek (1/0), then per counter: algorithm
 * (f fixed, s sliding, b bucket), cost, limit, windowMs. State is one string per key, read with
 * GET and written with SET … PX: "window count prev" or "tokens updatedAt". The decision uses the
 * core's formulas; the reply is {all 1/0, now, then per counter: allowed, and its state before}
 * (integers, but a bucket's level as text). Plain string search and concatenation, no patterns
 * or formatting: the script is most of what Redis spends on a decision.
 * A call that reaches the server after its deadline (server ms; 0 for none) changes nothing: its
 * caller gave up, and a reconnect replayed it or a frozen server woke up to it.
 */
export const limitScript = script(
  `${NOW_MS}
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {-1, now} end
local peek = ARGV[2] == '1'
local all = true
local reply = {0, now}
local writes = {}
for i = 1, #KEYS do
  local a = (i - 1) * 4 + 3
  local algo, cost, limit, windowMs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local s = redis.call('GET', KEYS[i])
  local n = #reply
  if algo == 'b' then
    local level = limit
    if s then
      local sp = string.find(s, ' ', 1, true)
      level = math.min(limit, tonumber(string.sub(s, 1, sp - 1)) + math.max(0, now - tonumber(string.sub(s, sp + 1))) * limit / windowMs)
    end
    local allowed = level >= cost
    if not allowed then all = false end
    writes[i] = math.min(limit, level - cost) .. ' ' .. now
    reply[n + 1] = allowed and 1 or 0
    reply[n + 2] = tostring(level)
    reply[n + 3] = 0
    reply[n + 4] = 0
  else
    local win = math.floor(now / windowMs)
    local count, prev = 0, 0
    if s then
      local p1 = string.find(s, ' ', 1, true)
      local p2 = string.find(s, ' ', p1 + 1, true)
      local sw = tonumber(string.sub(s, 1, p1 - 1))
      if sw == win then count = tonumber(string.sub(s, p1 + 1, p2 - 1)); prev = tonumber(string.sub(s, p2 + 1))
      elseif sw == win - 1 then prev = tonumber(string.sub(s, p1 + 1, p2 - 1)) end
    end
    local used = count
    if algo == 's' and prev > 0 then used = used + prev * (windowMs - (now - win * windowMs)) / windowMs end
    local allowed = used + cost <= limit
    if not allowed then all = false end
    writes[i] = win .. ' ' .. math.max(0, count + cost) .. ' ' .. prev
    reply[n + 1] = allowed and 1 or 0
    reply[n + 2] = win
    reply[n + 3] = count
    reply[n + 4] = prev
  end
end
if all and not peek then
  for i = 1, #KEYS do redis.call('SET', KEYS[i], writes[i], 'PX', ARGV[(i - 1) * 4 + 6] * 2) end
end
if all then reply[1] = 1 end
return reply`,
  '0d5d1bf4c42a156fa1505696e16b00dedd16e398',
)

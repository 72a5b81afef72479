import { NOW_MS, script } from './scripts'

/**
 * Every rate-limit decision, for one counter or several (an endpoint limit and the daily total),
 * all or nothing. KEYS = the counters. ARGV = deadline, peek (1/0), then per counter: algorithm
 * (f fixed, s sliding, b bucket), cost, limit, windowMs. State is one string per key, read with
 * GET and written with SET … PX: "window count prev" or "tokens updatedAt". The decision uses the
 * core's formulas; the reply is {all 1/0, now, then per counter: allowed, and its state before}.
 * A call that reaches the server after its deadline (server ms; 0 for none) changes nothing: its
 * caller gave up, and a reconnect replayed it or a frozen server woke up to it.
 */
export const limitScript = script(
  `${NOW_MS}
local deadline = tonumber(ARGV[1])
if deadline > 0 and now > deadline then return {-1, tostring(now)} end
local peek = ARGV[2] == '1'
local all = true
local out, writes = {}, {}
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 4
  local algo, cost, limit, windowMs = ARGV[a + 1], tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
  local s = redis.call('GET', KEYS[i])
  if algo == 'b' then
    local level = limit
    if s then
      local tk, ts = string.match(s, '(%S+) (%S+)')
      level = math.min(limit, tonumber(tk) + math.max(0, now - tonumber(ts)) * limit / windowMs)
    end
    local allowed = level >= cost
    all = all and allowed
    writes[i] = string.format('%.17g %.17g', math.min(limit, level - cost), now)
    out[#out + 1] = allowed and 1 or 0
    out[#out + 1] = tostring(level)
    out[#out + 1] = ''
    out[#out + 1] = ''
  else
    local win = math.floor(now / windowMs)
    local count, prev = 0, 0
    if s then
      local sw, sc, sp = string.match(s, '(%S+) (%S+) (%S+)')
      sw = tonumber(sw)
      if sw == win then count = tonumber(sc); prev = tonumber(sp)
      elseif sw == win - 1 then prev = tonumber(sc) end
    end
    local weight = 0
    if algo == 's' then weight = (windowMs - (now - win * windowMs)) / windowMs end
    local allowed = prev * weight + count + cost <= limit
    all = all and allowed
    writes[i] = string.format('%d %.17g %.17g', win, math.max(0, count + cost), prev)
    out[#out + 1] = allowed and 1 or 0
    out[#out + 1] = tostring(win)
    out[#out + 1] = tostring(count)
    out[#out + 1] = tostring(prev)
  end
end
if all and not peek then
  for i = 1, #KEYS do
    redis.call('SET', KEYS[i], writes[i], 'PX', math.ceil(tonumber(ARGV[2 + (i - 1) * 4 + 4]) * 2))
  end
end
local reply = {all and 1 or 0, tostring(now)}
for i = 1, #out do reply[#reply + 1] = out[i] end
return reply`,
  '5c686e321faf26871d23a2dd93cdeecdf4c06c8b',
)

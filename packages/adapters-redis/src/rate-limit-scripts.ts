import { NOW_MS, script } from './scripts'

/**
 * Rate-limit decisions for one or more callers in one call, each caller's all or nothing (an
 * endpoint limit and the daily total, say), in order, so a later caller sees an earlier one's
 * writes. KEYS = every caller's counters, one after another. ARGV, per caller: deadline, peek
 * (1/0), n, then per counter: algorithm (f fixed, s sliding, l log, b bucket), cost, limit,
 * windowMs. State is one string per key, read with GET and written with SET … PX: "window count
 * prev", "tokens updatedAt", or a log's "bucket units bucket units …" (a log's reply field is
 * its state before, as text). The decision uses the core's formulas. Reply: {now, then per caller: 1
 * (all allowed), 0 (refused) or -1 (late, nothing more), and for 1 or 0 per counter: allowed,
 * and its state before} (integers, but a bucket's level as text). Plain string search and
 * concatenation, no patterns or formatting: the script is most of what Redis spends on a
 * decision. A caller whose call reaches the server after its deadline (server ms; 0 for none)
 * changes nothing: it gave up, and a reconnect replayed it or a frozen server woke up to it.
 */
export const limitScript = script(
  `${NOW_MS}
local reply = {now}
local k, a = 0, 1
while a <= #ARGV do
  local deadline, peek, n = tonumber(ARGV[a]), ARGV[a + 1] == '1', tonumber(ARGV[a + 2])
  a = a + 3
  local head = #reply + 1
  if deadline > 0 and now > deadline then
    reply[head] = -1
    a = a + n * 4
  else
    local all = true
    local writes, ttls = {}, {}
    reply[head] = 0
    for i = 1, n do
      local algo, cost, limit, windowMs = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
      a = a + 4
      ttls[i] = windowMs * 2
      local s = redis.call('GET', KEYS[k + i])
      local r = #reply
      if algo == 'b' then
        local level = limit
        if s then
          local sp = string.find(s, ' ', 1, true)
          level = math.min(limit, tonumber(string.sub(s, 1, sp - 1)) + math.max(0, now - tonumber(string.sub(s, sp + 1))) * limit / windowMs)
        end
        local allowed = level >= cost
        if not allowed then all = false end
        writes[i] = math.min(limit, level - cost) .. ' ' .. now
        reply[r + 1] = allowed and 1 or 0
        reply[r + 2] = tostring(level)
        reply[r + 3] = 0
        reply[r + 4] = 0
      elseif algo == 'l' then
        local g = math.max(1, math.ceil(windowMs / 100))
        local cut = math.floor((now - windowMs) / g)
        local kept, used, last = {}, 0, nil
        if s then
          local b = nil
          for x in string.gmatch(s, '%S+') do
            if b == nil then b = tonumber(x)
            else
              local u = tonumber(x)
              if b >= cut and u > 0 then kept[#kept + 1] = b; kept[#kept + 1] = u; used = used + u end
              b = nil
            end
          end
        end
        local before = table.concat(kept, ' ')
        local allowed = used + cost <= limit
        if not allowed then all = false end
        local bucket = math.floor(now / g)
        if cost > 0 then
          if #kept > 0 and kept[#kept - 1] == bucket then kept[#kept] = kept[#kept] + cost
          else kept[#kept + 1] = bucket; kept[#kept + 1] = cost end
        elseif cost < 0 then
          local back, j = -cost, #kept
          while j > 0 and back > 0 do
            local take = math.min(back, kept[j])
            kept[j] = kept[j] - take; back = back - take; j = j - 2
          end
          local live = {}
          for j2 = 1, #kept, 2 do if kept[j2 + 1] > 0 then live[#live + 1] = kept[j2]; live[#live + 1] = kept[j2 + 1] end end
          kept = live
        end
        writes[i] = table.concat(kept, ' ')
        reply[r + 1] = allowed and 1 or 0
        reply[r + 2] = before
        reply[r + 3] = 0
        reply[r + 4] = 0
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
        reply[r + 1] = allowed and 1 or 0
        reply[r + 2] = win
        reply[r + 3] = count
        reply[r + 4] = prev
      end
    end
    if all and not peek then
      for i = 1, n do redis.call('SET', KEYS[k + i], writes[i], 'PX', ttls[i]) end
    end
    if all then reply[head] = 1 end
  end
  k = k + n
end
return reply`,
  'f7ba628a0b92c655eb6623ace35049534ab8ab20',
)

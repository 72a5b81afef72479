import { queueScript } from './queue-lib'

const EXPIRED = `'error', 'expired before it ran'`

/**
 * Add: ARGV 5 cap (-1 for none), 6 turnMs, then the job: 7 id, 8 type, 9 userId, 10 the JSON
 * of the fields no script reads, 11 runAt, 12 expiresAt, 13 score, 14 attempts, 15 group ('' for none),
 * 16 the client's now (the times are moved onto the server's clock by the difference), 17 a lease
 * ('' for none) and 18 its token. Refuses with {0, unfinished} at the user's cap and {-1} for an
 * id already taken. Given a lease, a due job that nothing ready is ahead of is taken at once for
 * the caller's worker: {2, unfinished}. Otherwise it goes in line a turn behind the user's
 * unfinished ones, counted, with a wake-up published: {1, unfinished}.
 */
export const addScript = queueScript(
  `local id, type, userId = ARGV[7], ARGV[8], ARGV[9]
local key = jobKey(id)
if redis.call('EXISTS', key) == 1 then return {-1, 0} end
local mine = tonumber(redis.call('HGET', users, userId) or '0')
local cap = tonumber(ARGV[5])
if cap >= 0 and mine >= cap then return {0, mine} end
trim()
-- The client's times, moved onto the server's clock: an instance whose clock is off still queues
-- its jobs where they belong.
local shift = now - tonumber(ARGV[16])
local job = { id = id, key = key, type = type, userId = userId, status = 'pending', group = ARGV[15],
  runAt = tonumber(ARGV[11]) + shift, expiresAt = tonumber(ARGV[12]) + shift,
  score = tonumber(ARGV[13]) + shift + mine * tonumber(ARGV[6]) }
local lease, taken = tonumber(ARGV[17]), false
if lease and job.runAt <= now then
  -- A stale entry at the head only keeps the job in line.
  local head = redis.call('ZRANGE', line('ready', type), 0, 0, 'WITHSCORES')
  taken = #head == 0 or tonumber(head[2]) > job.score or (tonumber(head[2]) == job.score and head[1] > id)
end
local leaseEnd, attempts = '', tonumber(ARGV[14])
if taken then job.status, leaseEnd, attempts = 'active', now + lease, attempts + 1 end
redis.call('HSET', key, 'j', ARGV[10], 'type', type, 'userId', userId, 'status', job.status, 'createdAt', now,
  'attempts', attempts, 'runAt', job.runAt, 'expiresAt', job.expiresAt, 'score', job.score,
  'leaseUntil', leaseEnd, 'leaseToken', taken and ARGV[18] or '')
if job.group ~= '' then redis.call('HSET', key, 'group', job.group) end
redis.call('HINCRBY', users, userId, 1)
count(type, job.status, 1)
if taken then
  redis.call('HSET', key, 'startedAt', now)
  zlater(line('active', type), id, leaseEnd)
  return {2, mine}
end
queue(job)
redis.call('PUBLISH', chan .. 'wake:' .. type, '1')
return {1, mine}`,
  '4f5ff3f5076f9d0dec3e77bc79020513c9605270',
)

export const claimScript = queueScript(
  `local type, max, lease, byGroup = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local ready, active, expiry = line('ready', type), line('active', type), line('expiry', type)
promote(type)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', active, id)
  local job = load(id)
  if job and job.status == 'active' and job.leaseUntil <= now then
    move(job, 'pending', 'leaseUntil', '', 'leaseToken', '')
    queue(job)
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', expiry, id)
  local job = load(id)
  if job and expired(job) then finish(job, 'expired', ${EXPIRED}) end
end
trim()
local out, looked = {}, 0
-- Takes a popped job if it is claimable now; an expired one is finished on the way.
local function take(id)
  looked = looked + 1
  local job, v = load(id, 'attempts', 'j', 'error')
  if job and expired(job) then finish(job, 'expired', ${EXPIRED}); return nil end
  if not (job and job.status == 'pending' and job.runAt <= now) then return nil end
  local leaseEnd, token, attempts = now + lease, ARGV[9 + #out], tonumber(v[10]) + 1
  move(job, 'active', 'attempts', attempts, 'startedAt', now, 'leaseUntil', leaseEnd, 'leaseToken', token)
  zlater(expiry, job.id, false)
  zlater(active, job.id, leaseEnd)
  -- One line per job (its JSON has no raw newline), the last error (any text) at the end.
  out[#out + 1] = table.concat({ '=' .. v[11], attempts, v[4], v[5], job.score, now, leaseEnd, token, v[12] or '' }, '\\n')
  return job
end
if byGroup then
  -- The first claimable job in line, then the rest of its group (a job without one comes alone).
  local head
  while not head and looked < 1000 do
    local top = redis.call('ZPOPMIN', ready, 1)
    if #top == 0 then break end
    head = take(top[1])
  end
  if head and head.group ~= '' then
    local group = groupLine(type, head.group)
    redis.call('ZREM', group, head.id)
    while #out < max and looked < max + 1000 do
      local top = redis.call('ZPOPMIN', group, max - #out)
      if #top == 0 then break end
      for i = 1, #top, 2 do
        zlater(ready, top[i], false)
        take(top[i])
      end
    end
  end
  return out
end
while #out < max and looked < max + 1000 do
  local top = redis.call('ZPOPMIN', ready, max - #out)
  if #top == 0 then break end
  for i = 1, #top, 2 do
    local job = take(top[i])
    if job and job.group ~= '' then zlater(groupLine(type, job.group), job.id, false) end
  end
end
return out`,
  'cfe69a5c43e71d5ff4685a68d6ea7d77953d7a16',
)

const OWNED = `local job = load(ARGV[5])
if not job or job.status ~= 'active' or job.leaseToken ~= ARGV[6] then return 0 end`

/** Extend: ARGV 5 id, 6 token, 7 leaseMs. Only while the token still holds the lease. */
export const extendScript = queueScript(
  `${OWNED}
local leaseEnd = now + tonumber(ARGV[7])
redis.call('HSET', job.key, 'leaseUntil', leaseEnd)
redis.call('ZADD', line('active', job.type), leaseEnd, job.id)
return 1`,
  'bf8238861b59760f1a15ac53fe3b4c0f9501818d',
)

/**
 * Settle many: ARGV 5 onward, five per settle: id, token, outcome ('completed', 'failed' or
 * 'retry'), result or error, a retry's backoff in ms (from now, by the server's clock). Each only with the token of its lease; one 1 or 0 per
 * settle. A retry goes back in line at its old score.
 */
export const settleScript = queueScript(
  `local function settle(id, token, outcome, text, retryIn)
  local job = load(id)
  if not job or job.status ~= 'active' or job.leaseToken ~= token then return 0 end
  if outcome == 'retry' then
    zlater(line('active', job.type), job.id, false)
    job.runAt = now + math.ceil(tonumber(retryIn))
    move(job, 'pending', 'error', text, 'runAt', job.runAt, 'leaseUntil', '', 'leaseToken', '')
    queue(job) -- not due yet: the worker that failed it looks again when it is
  elseif outcome == 'completed' then finish(job, 'completed', 'result', text)
  else finish(job, 'failed', 'error', text) end
  return 1
end
local out = {}
for i = 5, #ARGV, 5 do
  out[#out + 1] = settle(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
end
return out`,
  '144938cc5a4caecb49efb14c254f240f9ae1cb12',
)

/** Cancel: ARGV 5 id. Only a pending job. */
export const cancelScript = queueScript(
  `local job = load(ARGV[5])
if not job or job.status ~= 'pending' then return 0 end
finish(job, 'cancelled')
return 1`,
  '3b70d721b6cc4b5717054408146d3085aae52027',
)

/**
 * Get: ARGV 5 id. A pending job past its expiry is expired on the way (found, not scanned for);
 * a finished one past the retention is gone, whether or not a trim removed it yet.
 */
export const getJobScript = queueScript(
  `local job, v = load(ARGV[5], 'finishedAt')
if not job then return {} end
if v[10] and tonumber(v[10]) <= now - retention then return {} end
if expired(job) then finish(job, 'expired', ${EXPIRED}) end
return view(redis.call('HGETALL', job.key))`,
  '9b276daddc888929f242431d35b8b4c67deced85',
)

/** Position: ARGV 5 id. Due jobs by rank in line; delayed ones after them, by when they come due. */
export const positionScript = queueScript(
  `local job = load(ARGV[5])
if not job or job.status ~= 'pending' then return 0 end
promote(job.type)
local r = redis.call('ZRANK', line('ready', job.type), job.id)
if r then return r + 1 end
local d = redis.call('ZRANK', line('delayed', job.type), job.id)
if d then return redis.call('ZCARD', line('ready', job.type)) + d + 1 end
return 0`,
  'ab6fc88749b467bd81d0edc685dad8eee41e4645',
)

/** Counts: ARGV 5 type, or '' for every type. Flat {status, n, …}. */
export const countsScript = queueScript(
  `trim()
flush()
local out = {}
local kv = redis.call('HGETALL', counts)
for i = 1, #kv, 2 do
  local type, status = string.match(kv[i], '^(.*)\\n([^\\n]*)$')
  if ARGV[5] == '' or ARGV[5] == type then out[status] = (out[status] or 0) + tonumber(kv[i + 1]) end
end
local reply = {}
for k, v in pairs(out) do reply[#reply + 1] = k; reply[#reply + 1] = v end
return reply`,
  'b80381f1444f5b0247c13858c6e679e9be9ac51a',
)

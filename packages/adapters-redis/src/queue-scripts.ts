import { NOW_MS, script } from './scripts'

// Every queue key starts with one hash tag (`prefix:{queue}:`), so the whole queue sits on one
// Cluster slot and a script may name the keys of a job's type from the job itself.
// ARGV (all scripts): 1 key base, 2 channel base, 3 retention ms, 4 retention count, then the
// script's own. KEYS[1] is the users hash, only so a Cluster client routes the call.
// Times are whole server milliseconds: they go through JSON and back unchanged.
// Replies carrying jobs prefix them with '=' so a client that parses replies as JSON leaves them be.
const LIB = `${NOW_MS}
now = math.floor(now)
local base, chan, retention, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local users, counts, done = base .. 'users', base .. 'counts', base .. 'done'
local function line(kind, type) return base .. kind .. ':' .. type end
local function jobKey(id) return base .. 'job:' .. id end
local function load(id)
  local s = redis.call('GET', jobKey(id))
  if s then return cjson.decode(s) end
end
local function count(type, status, by)
  local field = type .. '\\n' .. status
  if redis.call('HINCRBY', counts, field, by) <= 0 then redis.call('HDEL', counts, field) end
end
local function move(job, to)
  count(job.type, job.status, -1)
  count(job.type, to, 1)
  job.status = to
end
-- Back in line: ready when due, delayed when not; and on the expiry watch.
local function queue(job)
  job.leaseUntil = nil
  job.leaseToken = nil
  redis.call('SET', jobKey(job.id), cjson.encode(job))
  if job.runAt <= now then redis.call('ZADD', line('ready', job.type), job.score, job.id)
  else redis.call('ZADD', line('delayed', job.type), job.runAt, job.id) end
  redis.call('ZADD', line('expiry', job.type), job.expiresAt, job.id)
end
local function finish(job, status, patch)
  local id, type = job.id, job.type
  -- An active job sits only in the lease set; a pending one in the line (or delayed) and the watch.
  if job.status == 'active' then redis.call('ZREM', line('active', type), id)
  else
    redis.call('ZREM', line('ready', type), id)
    redis.call('ZREM', line('delayed', type), id)
    redis.call('ZREM', line('expiry', type), id)
  end
  count(type, job.status, -1)
  count(type, status, 1)
  if redis.call('HINCRBY', users, job.userId, -1) <= 0 then redis.call('HDEL', users, job.userId) end
  for k, v in pairs(patch) do job[k] = v end
  job.status = status
  job.finishedAt = now
  job.leaseUntil = nil
  job.leaseToken = nil
  redis.call('SET', jobKey(id), cjson.encode(job), 'PX', math.max(1, retention))
  redis.call('ZADD', done, now, status .. '\\n' .. type .. '\\n' .. id)
  redis.call('PUBLISH', chan .. 'done', id)
end
-- Finished jobs past the retention (or beyond the count kept) go, oldest first, a bounded few.
local function trim()
  local old = redis.call('ZRANGEBYSCORE', done, '-inf', now - retention, 'LIMIT', 0, 100)
  local extra = redis.call('ZCARD', done) - #old - keep
  if extra > 0 then
    for _, m in ipairs(redis.call('ZRANGE', done, #old, #old + math.min(extra, 100) - 1)) do old[#old + 1] = m end
  end
  for _, m in ipairs(old) do
    local status, type, id = string.match(m, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')
    count(type, status, -1)
    -- Still that finished job (not a new one that took the id after it expired)? Its top-level
    -- status says so; every text inside a job is a JSON string, escaped, so cannot match.
    local s = redis.call('GET', jobKey(id))
    if s and string.find(s, '"status":"' .. status .. '"', 1, true) then redis.call('DEL', jobKey(id)) end
    redis.call('ZREM', done, m)
  end
end
-- Delayed jobs that came due join the line, a bounded few per call.
local function promote(type)
  local ready, delayed = line('ready', type), line('delayed', type)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)) do
    redis.call('ZREM', delayed, id)
    local job = load(id)
    if job and job.status == 'pending' then redis.call('ZADD', ready, job.score, id) end
  end
end
local function expired(job)
  return job.status == 'pending' and job.expiresAt <= now
end
`

const EXPIRED = `{ error = 'expired before it ran' }`

/**
 * Add: ARGV 5 job JSON, 6 cap (-1 for none), 7 turnMs. Refuses with {0, unfinished} at the
 * user's cap and {-1} for an id already taken; otherwise puts the job in line a turn behind the
 * user's unfinished ones, counts it and publishes a wake-up.
 */
export const addScript = script(
  `${LIB}
local job = cjson.decode(ARGV[5])
if redis.call('EXISTS', jobKey(job.id)) == 1 then return {-1, 0} end
local mine = tonumber(redis.call('HGET', users, job.userId) or '0')
local cap = tonumber(ARGV[6])
if cap >= 0 and mine >= cap then return {0, mine} end
trim()
job.score = job.score + mine * tonumber(ARGV[7])
queue(job)
redis.call('HINCRBY', users, job.userId, 1)
count(job.type, 'pending', 1)
redis.call('PUBLISH', chan .. 'wake:' .. job.type, '1')
return {1, mine}`,
  '275ec9a2eb578d222d838f6cf439744dfb8cef59',
)

/**
 * Claim: ARGV 5 type, 6 max, 7 leaseMs, then `max` lease tokens. First the housekeeping, each
 * step by its own index and bounded: due delayed jobs promoted, lapsed leases put back in line,
 * expired jobs finished, old finished jobs removed. Then up to `max` jobs from the front.
 */
export const claimScript = script(
  `${LIB}
local type, max, lease = ARGV[5], tonumber(ARGV[6]), tonumber(ARGV[7])
local ready, active, expiry = line('ready', type), line('active', type), line('expiry', type)
promote(type)
for _, id in ipairs(redis.call('ZRANGEBYSCORE', active, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', active, id)
  local job = load(id)
  if job and job.status == 'active' and job.leaseUntil <= now then
    move(job, 'pending')
    queue(job)
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZREM', expiry, id)
  local job = load(id)
  if job and expired(job) then finish(job, 'expired', ${EXPIRED}) end
end
trim()
local out = {}
for _ = 1, max + 1000 do
  if #out >= max then break end
  local top = redis.call('ZPOPMIN', ready)
  if #top == 0 then break end
  local job = load(top[1])
  if job and expired(job) then finish(job, 'expired', ${EXPIRED})
  elseif job and job.status == 'pending' and job.runAt <= now then
    move(job, 'active')
    job.attempts = job.attempts + 1
    job.startedAt = now
    job.leaseUntil = now + lease
    job.leaseToken = ARGV[8 + #out]
    local encoded = cjson.encode(job)
    redis.call('SET', jobKey(job.id), encoded)
    redis.call('ZREM', expiry, job.id)
    redis.call('ZADD', active, job.leaseUntil, job.id)
    out[#out + 1] = '=' .. encoded
  end
end
return out`,
  'b697aede3c360a72e95c91625fd6c78eca78a609',
)

const OWNED = `
local job = load(ARGV[5])
if not job or job.status ~= 'active' or job.leaseToken ~= ARGV[6] then return 0 end`

/** Extend: ARGV 5 id, 6 token, 7 leaseMs. Only while the token still holds the lease. */
export const extendScript = script(
  `${LIB}${OWNED}
job.leaseUntil = now + tonumber(ARGV[7])
redis.call('SET', jobKey(job.id), cjson.encode(job))
redis.call('ZADD', line('active', job.type), job.leaseUntil, job.id)
return 1`,
  '0f5a4cc67dc33468c4f5491250e98d10b332e866',
)

/**
 * Settle many: ARGV 5 onward, five per settle: id, token, outcome ('completed', 'failed' or
 * 'retry'), result or error, retryAt. Each only with the token of its lease; one 1 or 0 per
 * settle. A retry goes back in line at its old score.
 */
export const settleScript = script(
  `${LIB}
local function settle(id, token, outcome, text, retryAt)
  local job = load(id)
  if not job or job.status ~= 'active' or job.leaseToken ~= token then return 0 end
  if outcome == 'retry' then
    redis.call('ZREM', line('active', job.type), job.id)
    move(job, 'pending')
    job.error = text
    job.runAt = tonumber(retryAt)
    queue(job) -- not due yet: the worker that failed it looks again when it is
  elseif outcome == 'completed' then finish(job, 'completed', { result = text })
  else finish(job, 'failed', { error = text }) end
  return 1
end
local out = {}
for i = 5, #ARGV, 5 do
  out[#out + 1] = settle(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4])
end
return out`,
  '46f328ee50b87d2f3d3a5cc544337f921540901c',
)

/** Cancel: ARGV 5 id. Only a pending job. */
export const cancelScript = script(
  `${LIB}
local job = load(ARGV[5])
if not job or job.status ~= 'pending' then return 0 end
finish(job, 'cancelled', {})
return 1`,
  '9cdcc2d1bc45db58e1a563e1481c935a48cf4913',
)

/** Get: ARGV 5 id. A pending job past its expiry is expired on the way (found, not scanned for). */
export const getJobScript = script(
  `${LIB}
local job = load(ARGV[5])
if not job then return false end
if expired(job) then finish(job, 'expired', ${EXPIRED}) end
job.leaseToken = nil
return '=' .. cjson.encode(job)`,
  '0e5c67c4ad3a56ae533e6ced33035b9bfa424aee',
)

/** Position: ARGV 5 id. Due jobs by rank in line; delayed ones after them, by when they come due. */
export const positionScript = script(
  `${LIB}
local job = load(ARGV[5])
if not job or job.status ~= 'pending' then return 0 end
promote(job.type)
local r = redis.call('ZRANK', line('ready', job.type), job.id)
if r then return r + 1 end
local d = redis.call('ZRANK', line('delayed', job.type), job.id)
if d then return redis.call('ZCARD', line('ready', job.type)) + d + 1 end
return 0`,
  'e5edfeb31f9dd29f46d867822ff009317b6f408c',
)

/** Counts: ARGV 5 type, or '' for every type. Flat {status, n, …}. */
export const countsScript = script(
  `${LIB}
trim()
local out = {}
local kv = redis.call('HGETALL', counts)
for i = 1, #kv, 2 do
  local type, status = string.match(kv[i], '^(.*)\\n([^\\n]*)$')
  if ARGV[5] == '' or ARGV[5] == type then out[status] = (out[status] or 0) + tonumber(kv[i + 1]) end
end
local reply = {}
for k, v in pairs(out) do reply[#reply + 1] = k; reply[#reply + 1] = v end
return reply`,
  '3d31982d7b971e93e22a04fb3243a5059081687f',
)

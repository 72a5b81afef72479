import { NOW_MS, script } from './scripts'

// Every queue key starts with one hash tag (`prefix:{queue}:`), so the whole queue sits on one
// Cluster slot and a script may name the keys of a job's type from the job itself.
// ARGV (all scripts): 1 key base, 2 channel base, 3 retention ms, 4 retention count, then the
// script's own. KEYS[1] is the users hash, only so a Cluster client routes the call.
// Times are whole server milliseconds, so they read back as written.
// Replies carrying a job's values prefix each with '=', so a client that parses replies as JSON
// (Upstash REST) leaves them be.
// Each redis.call costs the server more than most commands do, so what no later step of the same
// script reads (the lease, expiry and finished sets, the counters, the finish push) is gathered
// and written once at the end, for every job of the call together.
const LIB = `${NOW_MS}
now = math.floor(now)
local base, chan, retention, keep = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local users, counts, done = base .. 'users', base .. 'counts', base .. 'done'
local function line(kind, type) return base .. kind .. ':' .. type end
local function jobKey(id) return base .. 'job:' .. id end
-- The ready jobs of one group (by score, as the line): only jobs that have a group are in one.
local function groupLine(type, group) return base .. 'group:' .. #type .. ':' .. type .. ':' .. group end
local later, tallies, finished = {}, {}, {}
-- A sorted-set write held until the end: per key and member the last one wins.
local function zlater(key, member, score)
  local t = later[key]
  if not t then t = {}; later[key] = t end
  t[member] = score
end
local function tally(hash, field, by)
  local t = tallies[hash]
  if not t then t = {}; tallies[hash] = t end
  t[field] = (t[field] or 0) + by
end
local function chunks(cmd, key, list)
  for i = 1, #list, 500 do redis.call(cmd, key, unpack(list, i, math.min(#list, i + 499))) end
end
local function flush()
  for key, t in pairs(later) do
    local adds, rems = {}, {}
    for m, score in pairs(t) do
      if score then adds[#adds + 1] = score; adds[#adds + 1] = m else rems[#rems + 1] = m end
    end
    chunks('ZREM', key, rems)
    chunks('ZADD', key, adds)
  end
  for hash, t in pairs(tallies) do
    for field, by in pairs(t) do
      if by ~= 0 and redis.call('HINCRBY', hash, field, by) <= 0 then redis.call('HDEL', hash, field) end
    end
  end
  if #finished > 0 then redis.call('PUBLISH', chan .. 'done', table.concat(finished, '\\n')) end
  later, tallies, finished = {}, {}, {}
end
-- A job is a hash: what the scripts decide on has a field of its own; what they only keep and
-- hand back (id, type, userId, data, priority, …) is one JSON field 'j' that no script decodes. A job without
-- a lease has '' for leaseUntil and leaseToken.
local function load(id, ...)
  local key = jobKey(id)
  local v = redis.call('HMGET', key, 'status', 'type', 'userId', 'runAt', 'expiresAt', 'score', 'leaseToken', 'leaseUntil', 'group', ...)
  if not v[1] then return nil end
  return { id = id, key = key, status = v[1], type = v[2], userId = v[3], runAt = tonumber(v[4]),
    expiresAt = tonumber(v[5]), score = v[6], leaseToken = v[7], leaseUntil = tonumber(v[8]), group = v[9] or '' }, v
end
local function count(type, status, by) tally(counts, type .. '\\n' .. status, by) end
-- To another status, with more fields set on the way.
local function move(job, to, ...)
  count(job.type, job.status, -1)
  count(job.type, to, 1)
  job.status = to
  redis.call('HSET', job.key, 'status', to, ...)
end
-- Back in line (its status already pending): ready when due, delayed when not; on the expiry watch.
local function queue(job)
  if job.runAt <= now then
    redis.call('ZADD', line('ready', job.type), job.score, job.id)
    if job.group ~= '' then redis.call('ZADD', groupLine(job.type, job.group), job.score, job.id) end
  else redis.call('ZADD', line('delayed', job.type), job.runAt, job.id) end
  zlater(line('expiry', job.type), job.id, job.expiresAt)
end
local function finish(job, status, field, text)
  local id, type = job.id, job.type
  -- An active job sits only in the lease set; a pending one in the line (or delayed) and the watch.
  if job.status == 'active' then zlater(line('active', type), id, false)
  else
    redis.call('ZREM', line('ready', type), id)
    if job.group ~= '' then redis.call('ZREM', groupLine(type, job.group), id) end
    redis.call('ZREM', line('delayed', type), id)
    zlater(line('expiry', type), id, false)
  end
  tally(users, job.userId, -1)
  if field then move(job, status, 'finishedAt', now, 'leaseUntil', '', 'leaseToken', '', field, text)
  else move(job, status, 'finishedAt', now, 'leaseUntil', '', 'leaseToken', '') end
  zlater(done, status .. '\\n' .. type .. '\\n' .. id, now)
  finished[#finished + 1] = id
end
-- Finished jobs past the retention (or beyond the count kept) go, oldest first, a bounded few.
-- This is the only removal (no key TTL), so an id comes free only with its line in 'done'.
local function trim()
  local old = redis.call('ZRANGEBYSCORE', done, '-inf', now - retention, 'LIMIT', 0, 100)
  local extra = redis.call('ZCARD', done) - #old - keep
  if extra > 0 then
    for _, m in ipairs(redis.call('ZRANGE', done, #old, #old + math.min(extra, 100) - 1)) do old[#old + 1] = m end
  end
  if #old == 0 then return end
  local keys = {}
  for _, m in ipairs(old) do
    local status, type, id = string.match(m, '^([^\\n]*)\\n([^\\n]*)\\n(.*)$')
    count(type, status, -1)
    keys[#keys + 1] = jobKey(id)
  end
  redis.call('DEL', unpack(keys))
  redis.call('ZREM', done, unpack(old))
end
-- Delayed jobs that came due join the line, a bounded few per call.
local function promote(type)
  local ready, delayed = line('ready', type), line('delayed', type)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 1000)) do
    redis.call('ZREM', delayed, id)
    local v = redis.call('HMGET', jobKey(id), 'status', 'score', 'group')
    if v[1] == 'pending' then
      redis.call('ZADD', ready, v[2], id)
      if v[3] and v[3] ~= '' then redis.call('ZADD', groupLine(type, v[3]), v[2], id) end
    end
  end
end
local function expired(job)
  return job.status == 'pending' and job.expiresAt <= now
end
-- A job as a reply: its fields and values, each value behind '='.
local function view(kv)
  for i = 2, #kv, 2 do kv[i] = '=' .. kv[i] end
  return kv
end
`

/** A script: the library, then `body` (which may return early), then what it held back. */
const queueScript = (body: string, sha: string) =>
  script(`${LIB}local function main()\n${body}\nend\nlocal reply = main()\nflush()\nreturn reply`, sha)

const EXPIRED = `'error', 'expired before it ran'`

/**
 * Add: ARGV 5 cap (-1 for none), 6 turnMs, then the job: 7 id, 8 type, 9 userId, 10 the JSON
 * of the fields no script reads, 11 runAt, 12 expiresAt, 13 score, 14 attempts, 15 group ('' for none),
 * 16 the client's now (the times are moved onto the server's clock by the difference). Refuses with
 * {0, unfinished} at the user's cap and {-1} for an id already taken; otherwise puts the job in
 * line a turn behind the user's unfinished ones, counts it and publishes a wake-up.
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
redis.call('HSET', key, 'j', ARGV[10], 'type', type, 'userId', userId, 'status', 'pending', 'createdAt', now,
  'attempts', ARGV[14], 'runAt', job.runAt, 'expiresAt', job.expiresAt, 'score', job.score, 'leaseUntil', '', 'leaseToken', '')
if job.group ~= '' then redis.call('HSET', key, 'group', job.group) end
queue(job)
redis.call('HINCRBY', users, userId, 1)
count(type, 'pending', 1)
redis.call('PUBLISH', chan .. 'wake:' .. type, '1')
return {1, mine}`,
  '03afdc16fe180e5a43e9e5cb579531aec0c8d5ec',
)

/**
 * Claim: ARGV 5 type, 6 max, 7 leaseMs, 8 '1' for one group per claim, then `max` lease tokens. First the housekeeping, each
 * step by its own index and bounded: due delayed jobs promoted, lapsed leases put back in line,
 * expired jobs finished, old finished jobs removed. Then up to `max` jobs from the front, each
 * as one text: '=' JSON, attempts, runAt, expiresAt, score, startedAt, leaseUntil, leaseToken
 * and the last error, one per line.
 */
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
 * 'retry'), result or error, retryAt. Each only with the token of its lease; one 1 or 0 per
 * settle. A retry goes back in line at its old score.
 */
export const settleScript = queueScript(
  `local function settle(id, token, outcome, text, retryAt)
  local job = load(id)
  if not job or job.status ~= 'active' or job.leaseToken ~= token then return 0 end
  if outcome == 'retry' then
    zlater(line('active', job.type), job.id, false)
    move(job, 'pending', 'error', text, 'runAt', retryAt, 'leaseUntil', '', 'leaseToken', '')
    job.runAt = tonumber(retryAt)
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
  'ef99acfcdb381013644df05487a980943009abe1',
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

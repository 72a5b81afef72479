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
export const queueScript = (body: string, sha: string) =>
  script(`${LIB}local function main()\n${body}\nend\nlocal reply = main()\nflush()\nreturn reply`, sha)

import { script } from './scripts'

// Replies that carry a stored value start with '=': no JSON starts so, so a client that parses
// replies as JSON (the Upstash client does by default) hands the text back unchanged.

/** KEYS[1]; returns '=' .. value, or false when absent. */
export const getScript = script(
  `local v = redis.call('GET', KEYS[1])
if v then return '=' .. v end
return false`,
  '2480b4c1b3cee96db3d47caf859057b5795cd2cb',
)

/** KEYS[1] = a lock; ARGV = owner, ttlMs. Renews it only while the owner still holds it. */
export const extendIfScript = script(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
  '5765d8a3b63c4ae6047608645b08c78e64475680',
)

/** KEYS[1] = a lock; ARGV = owner. Deletes it only while the owner still holds it. */
export const deleteIfScript = script(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
  '7f8f6677b8f2b4b65b9b9905151ced126e6b7e49',
)

export type { RedisClient } from './client'
export { type RedisStoreOptions, redisStore } from './redis-store'

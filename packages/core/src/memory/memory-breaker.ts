import type { BreakerPort, BreakerState } from '../store/breaker-port'

export function memoryBreaker(): BreakerPort {
  // One entry per provider name: bounded by configuration, not by users.
  const states = new Map<string, BreakerState>()
  return {
    async get(name) {
      return states.get(name)
    },
    async compareAndSet(name, expectedVersion, next) {
      const current = states.get(name)
      if ((current?.version ?? 0) !== expectedVersion) return false
      states.set(name, { ...next, version: expectedVersion + 1 })
      return true
    },
  }
}

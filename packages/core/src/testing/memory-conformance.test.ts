import { afterAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../memory/memory-store'
import { storeConformance } from './conformance'

storeConformance(
  { describe, it, expect, afterAll },
  {
    name: 'memory',
    makeStore: (_prefix, options) =>
      memoryStore(options?.jobRetentionMs === undefined ? {} : { jobRetention: options.jobRetentionMs }),
  },
)

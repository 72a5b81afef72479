import { type MemoryStoreOptions, memoryStore } from '../memory/memory-store'
import type { FullStore } from './store'

/**
 * The store a primitive keeps its state in when it is given none: in this process. The one
 * place outside the public export that builds a memory store; its ports are built on first use,
 * so a primitive holds only the port it reads.
 */
export function defaultStore(options: MemoryStoreOptions = {}): FullStore {
  return memoryStore(options)
}

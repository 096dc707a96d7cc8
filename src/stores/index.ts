/**
 * `express-bindid/stores`: the shared-state interface and its two implementations, for an app that
 * writes its own store (its atomic operations decide every guarantee; test it with the contract
 * suite of the repository) or names the Redis client types. `MemoryBindIdStore` and
 * `RedisBindIdStore` are also at the package root.
 *
 * @module express-bindid/stores
 */
export { type BindIdStore, MemoryBindIdStore, type MemoryBindIdStoreOptions } from './bindid-store.js';
export type { BindIdQueueStore, QueueEntry, QueueRecord } from './queue-store.js';
export {
  RedisBindIdStore,
  type RedisBindIdStoreClient,
  type RedisBindIdStoreOptions,
  type RedisCaller,
  type RedisClusterCommander,
  type RedisCommander,
} from './redis-bindid-store.js';

/**
 * `express-bindid/stores`: the shared-state interface and its two implementations (also at the package root), for an app that
 * writes its own store (its atomic operations decide every guarantee; test it with the repository's contract suite) or names the Redis client types.
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

/**
 * The layout and scripts of `RedisBindIdStore`'s queues. A queue `q` under the store prefix `p` is (with a `:` after `{q}` unless `q` ends
 * with one): `p{q}items`, a hash id → value; `p{q}due`, a sorted set id → due time (ms), read with `ZRANGEBYSCORE`; `p{q}keep`, a sorted
 * set id → retention end (ms), so records nobody removes are dropped; `p{q}lease:<id>`, the claim's token, expiring with `PX`. Every key of
 * a queue carries the hash tag `{q}` (unless the prefix has its own), so each script touches one slot and runs as is on Redis Cluster.
 */
import { invalidArgument } from '../errors.js';

/** Drop the record if past retention; add it unless there; index it. KEYS items due keep; ARGV id value dueAt keepUntil now. */
export const QUEUE_ADD_SCRIPT = [
  "local kept = redis.call('ZSCORE', KEYS[3], ARGV[1])",
  "if kept and tonumber(kept) <= tonumber(ARGV[5]) then redis.call('HDEL', KEYS[1], ARGV[1]) redis.call('ZREM', KEYS[2], ARGV[1]) redis.call('ZREM', KEYS[3], ARGV[1]) end",
  "if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end",
  "redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1]) return 1",
].join('\n');

/** Drop up to 100 records past retention, then the first ARGV[2] due at ARGV[1] as [id, value, ...] (an index entry without its record is removed). KEYS items due keep; ARGV now limit. */
export const QUEUE_DUE_SCRIPT = [
  "local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[1], 'LIMIT', 0, 100)",
  "for _, id in ipairs(gone) do redis.call('HDEL', KEYS[1], id) redis.call('ZREM', KEYS[2], id) redis.call('ZREM', KEYS[3], id) end",
  "local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])",
  'local out = {}',
  'for _, id in ipairs(ids) do',
  "  local value = redis.call('HGET', KEYS[1], id)",
  "  if value then out[#out + 1] = id out[#out + 1] = value else redis.call('ZREM', KEYS[2], id) end",
  'end',
  'return out',
].join('\n');

/** Only while the lease holds ARGV[5]: release it, and replace the record if it is still there. KEYS items due keep lease; ARGV id value dueAt keepUntil token. Resolves 1 or 0. */
export const QUEUE_UPDATE_SCRIPT = [
  "if redis.call('GET', KEYS[4]) ~= ARGV[5] then return 0 end",
  "redis.call('DEL', KEYS[4])",
  "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end",
  "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1]) redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])",
  'return 1',
].join('\n');

/** Remove the record and its index entries; release the lease if it holds ARGV[2] (not empty). KEYS items due keep lease; ARGV id token. */
export const QUEUE_REMOVE_SCRIPT = [
  "redis.call('HDEL', KEYS[1], ARGV[1]) redis.call('ZREM', KEYS[2], ARGV[1]) redis.call('ZREM', KEYS[3], ARGV[1])",
  "if ARGV[2] ~= '' and redis.call('GET', KEYS[4]) == ARGV[2] then redis.call('DEL', KEYS[4]) end",
  'return 1',
].join('\n');

/** Sends one command; a cluster client routes it on `key`. */
export type Send = (args: string[], key: string | undefined) => Promise<unknown>;

export function queueKeys(prefix: string, queue: string, id?: string): { items: string; due: string; keep: string; lease: string } {
  if (typeof queue !== 'string' || queue.length === 0 || /[{}]/.test(queue)) {
    throw invalidArgument('RedisBindIdStore: a queue name must be a non-empty string without { or }');
  }
  if (id !== undefined && typeof id !== 'string') throw invalidArgument('RedisBindIdStore: a record id must be a string');
  const base = `${prefix}{${queue}}${queue.endsWith(':') ? '' : ':'}`;
  return { items: `${base}items`, due: `${base}due`, keep: `${base}keep`, lease: `${base}lease:${id ?? ''}` };
}

/** RESP2 bulk strings come as Buffers with some clients. */
export function text(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new Error('RedisBindIdStore: Redis answered something that is not a string');
}

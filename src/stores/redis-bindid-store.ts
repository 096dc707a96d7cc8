/**
 * `RedisBindIdStore`, through one method of the client (no Redis library at runtime). Every operation is one command or one `EVAL`:
 * atomic on the server, safe through a pipelining or pooled client. Errors (connection lost, an error reply) reject: callers fail closed.
 */
import { invalidArgument } from '../errors.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema, schemaReader } from '../internal/option-schema.js';
import type { BindIdStore } from './bindid-store.js';
import { checkEvictionPolicy } from './eviction-policy.js';
import type { BindIdQueueStore, QueueEntry, QueueRecord } from './queue-store.js';
import {
  QUEUE_ADD_SCRIPT,
  QUEUE_DUE_SCRIPT,
  QUEUE_REMOVE_SCRIPT,
  QUEUE_UPDATE_SCRIPT,
  queueKeys,
  type Send,
  text,
} from './redis-queue.js';

/** A node-redis client (`createClient`), or any client that sends a command (name, then arguments) and resolves its reply. */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A node-redis cluster (`createCluster`): commands are routed on their first key. */
export interface RedisClusterCommander {
  readonly masters: unknown;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
}

/** An ioredis client (`Redis` or `Cluster`): `call(command, ...args)`, routed on the command's keys. */
export interface RedisCaller {
  call(command: string, ...args: string[]): Promise<unknown>;
}

/** The Redis clients {@link RedisBindIdStore} takes as they are. */
export type RedisBindIdStoreClient = RedisCommander | RedisClusterCommander | RedisCaller;

function senderOf(client: unknown): Send | undefined {
  if (client === null || typeof client !== 'object') return undefined;
  if (typeof (client as RedisCaller).call === 'function') return (args) => (client as RedisCaller).call(args[0] as string, ...args.slice(1));
  if (typeof (client as RedisCommander).sendCommand !== 'function') return undefined;
  if ('masters' in client) return (args, key) => (client as RedisClusterCommander).sendCommand(key, false, args);
  return (args) => (client as RedisCommander).sendCommand(args);
}

const REDIS_STORE_OPTIONS = {
  /** Prefix of every Redis key this store writes. Default `bindid:`. */
  prefix: option.custom<string, string>("`'bindid:'`", readPrefix),
};

/** Options of {@link RedisBindIdStore}. */
export interface RedisBindIdStoreOptions extends OptionsOf<typeof REDIS_STORE_OPTIONS> {}

function readPrefix(o: OptionReader, key: string): string {
  const prefix = o.raw(key) ?? 'bindid:';
  if (typeof prefix !== 'string' || prefix.length > 128) throw o.error(key, 'must be a string of at most 128 characters');
  return prefix;
}

/** Create the counter with its expiry if it is missing, then add `ARGV[2]`: one atomic step on the server. */
export const INCREMENT_SCRIPT =
  "redis.call('SET', KEYS[1], '0', 'NX', 'PX', ARGV[1]) return redis.call('INCRBY', KEYS[1], ARGV[2])";

/** Delete the key only if it holds ARGV[1]: compare-and-delete, one atomic step. Resolves 1 or 0. */
export const DELETE_IF_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** Replace the key's value by ARGV[2] only if it holds ARGV[1], with the expiry ARGV[3] in ms (none when empty): compare-and-set, one atomic step. Resolves 1 or 0. */
export const SET_IF_SCRIPT =
  "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end " +
  "if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return 1";

/**
 * A {@link BindIdStore} on Redis (one server or a cluster), shared by every instance of the app. It takes the clients as they are:
 * ```ts
 * new RedisBindIdStore(await createClient({ url: process.env.REDIS_URL }).connect()); // node-redis
 * new RedisBindIdStore(await createCluster({ rootNodes: [{ url: 'redis://10.0.0.1:6379' }] }).connect());
 * new RedisBindIdStore(new Redis(process.env.REDIS_URL)); // ioredis
 * new RedisBindIdStore(new Redis.Cluster([{ host: '10.0.0.1', port: 6379 }]));
 * ```
 */
export class RedisBindIdStore implements BindIdStore, BindIdQueueStore {
  /** Prefix of every key this store writes in Redis. */
  readonly prefix: string;
  readonly durable = true;
  readonly #client: Send;
  #checked: Promise<void> | undefined;

  constructor(client: RedisBindIdStoreClient, options?: RedisBindIdStoreOptions) {
    const o = schemaReader('RedisBindIdStore', options, REDIS_STORE_OPTIONS);
    const send = senderOf(client);
    if (send === undefined) {
      throw o.error(
        'client',
        'must be a Redis client: node-redis (createClient or createCluster, version 4 or later), ioredis (Redis or ' +
          'Cluster), or an object with sendCommand(args)',
      );
    }
    this.prefix = readSchema(o, REDIS_STORE_OPTIONS).prefix;
    this.#client = send;
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#send(['SET', this.#key(key), checkValue(value), 'NX', 'PX', checkTtl(ttlMs)])) === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    return optionalText(await this.#send(['GET', this.#key(key)]));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    const args = ['SET', this.#key(key), checkValue(value)];
    if (ttlMs !== undefined) args.push('PX', checkTtl(ttlMs));
    await this.#send(args);
  }

  async delete(key: string): Promise<void> {
    await this.#send(['DEL', this.#key(key)]);
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<number> {
    if (!Number.isSafeInteger(by)) throw invalidArgument('RedisBindIdStore: increment `by` must be an integer');
    const reply = await this.#send(['EVAL', INCREMENT_SCRIPT, '1', this.#key(key), checkTtl(ttlMs), String(by)]);
    const value = typeof reply === 'number' ? reply : Number(text(reply));
    if (!Number.isSafeInteger(value)) throw new Error('RedisBindIdStore: INCRBY answered something that is not an integer');
    return value;
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    return Number(await this.#send(['EVAL', DELETE_IF_SCRIPT, '1', this.#key(key), checkValue(expected)])) === 1;
  }

  async setIf(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs === undefined ? '' : checkTtl(ttlMs);
    return Number(await this.#send(['EVAL', SET_IF_SCRIPT, '1', this.#key(key), checkValue(expected), checkValue(value), ttl])) === 1;
  }

  #key(key: string): string {
    if (typeof key !== 'string') throw invalidArgument('RedisBindIdStore: a key must be a string');
    return this.prefix + key;
  }

  async queueAdd(queue: string, record: QueueRecord, now: number): Promise<boolean> {
    const k = queueKeys(this.prefix, queue, checkRecord(record).id);
    return Number(await this.#send(['EVAL', QUEUE_ADD_SCRIPT, '3', k.items, k.due, k.keep, ...recordArgs(record), ms(now, 'now')])) === 1;
  }

  async queueDue(queue: string, now: number, limit: number): Promise<QueueEntry[]> {
    const k = queueKeys(this.prefix, queue);
    if (!Number.isSafeInteger(limit) || limit < 0) throw invalidArgument('RedisBindIdStore: limit must be a whole number ≥ 0');
    if (limit === 0) return [];
    const reply = await this.#send(['EVAL', QUEUE_DUE_SCRIPT, '3', k.items, k.due, k.keep, ms(now, 'now'), String(limit)]);
    if (!Array.isArray(reply) || reply.length % 2 !== 0) throw new Error('RedisBindIdStore: the due script answered something that is not [id, value, ...]');
    const out: QueueEntry[] = [];
    for (let i = 0; i < reply.length; i += 2) out.push({ id: text(reply[i]), value: text(reply[i + 1]) });
    return out;
  }

  async queueGet(queue: string, id: string): Promise<string | undefined> {
    const k = queueKeys(this.prefix, queue, id);
    return optionalText(await this.#send(['HGET', k.items, id]));
  }

  async queueClaim(queue: string, id: string, token: string, leaseMs: number): Promise<boolean> {
    const k = queueKeys(this.prefix, queue, id);
    if (typeof token !== 'string' || token.length === 0) throw invalidArgument('RedisBindIdStore: a lease token must be a non-empty string');
    if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) throw invalidArgument('RedisBindIdStore: leaseMs must be a whole number > 0');
    return (await this.#send(['SET', k.lease, token, 'NX', 'PX', String(leaseMs)])) === 'OK';
  }

  async queueUpdate(queue: string, record: QueueRecord, token: string): Promise<boolean> {
    const k = queueKeys(this.prefix, queue, checkRecord(record).id);
    return Number(await this.#send(['EVAL', QUEUE_UPDATE_SCRIPT, '4', k.items, k.due, k.keep, k.lease, ...recordArgs(record), String(token)])) === 1;
  }

  async queueRemove(queue: string, id: string, token?: string): Promise<void> {
    const k = queueKeys(this.prefix, queue, id);
    await this.#send(['EVAL', QUEUE_REMOVE_SCRIPT, '4', k.items, k.due, k.keep, k.lease, id, token ?? '']);
  }

  /**
   * Check Redis's `maxmemory-policy` once (every operation waits for it): `allkeys-*`, which would let Redis drop links and attempt counters,
   * rejects in production with `ERR_BINDID_INVALID_OPTION`, else is warned about. `await store.ready()` before listening makes the app refuse to start.
   */
  ready(): Promise<void> {
    this.#checked ??= checkEvictionPolicy(this.#client);
    return this.#checked;
  }

  /** Routed (on a cluster) on the first key: `args[3]` for `EVAL`, `args[1]` otherwise. Async, so that a client that throws synchronously still gives a rejection. */
  async #send(args: string[]): Promise<unknown> {
    await this.ready();
    return this.#client(args, args[0] === 'EVAL' ? args[3] : args[1]);
  }
}

function optionalText(reply: unknown): string | undefined {
  return reply === null || reply === undefined ? undefined : text(reply);
}

function checkValue(value: string): string {
  if (typeof value !== 'string') throw invalidArgument('RedisBindIdStore: a value must be a string');
  return value;
}

/** A TTL as Redis's `PX` argument: a whole number of ms, at least 1 (Redis refuses 0 and fractions). */
function checkTtl(ttlMs: number): string {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw invalidArgument('RedisBindIdStore: ttlMs must be a positive, finite number of milliseconds');
  }
  return String(Math.ceil(ttlMs));
}

function ms(value: number, what: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidArgument(`RedisBindIdStore: ${what} must be a finite number of ms`);
  return String(Math.floor(value));
}

function checkRecord(record: QueueRecord): QueueRecord {
  if (record === null || typeof record !== 'object' || typeof record.id !== 'string' || typeof record.value !== 'string') {
    throw invalidArgument('RedisBindIdStore: a queue record needs a string id and value');
  }
  return record;
}

/** ARGV id value dueAt keepUntil of the queue scripts. */
function recordArgs(r: QueueRecord): string[] {
  return [r.id, r.value, ms(r.dueAt, 'dueAt'), ms(r.keepUntil, 'keepUntil')];
}

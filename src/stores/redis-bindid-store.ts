/**
 * `RedisBindIdStore`: the {@link BindIdStore} for several app instances, on Redis.
 *
 * It talks to Redis through one method, `sendCommand(args)`, so this package does not depend on a
 * Redis library at runtime. A node-redis (v4 and later) client has that method already; an ioredis
 * client needs a one-line adapter:
 *
 * ```ts
 * import { createClient } from 'redis';
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const store = new RedisBindIdStore(redis);
 *
 * // ioredis:
 * const store = new RedisBindIdStore({ sendCommand: ([command, ...args]) => ioredis.call(command!, ...args) });
 * ```
 *
 * Every operation is one Redis command, so it is atomic on the server and safe to use through a
 * pipelining or pooled client:
 * - `add`: `SET key value NX PX ttl`;
 * - `increment`: one `EVAL` of `SET key 0 NX PX ttl` + `INCRBY key by` (the expiry is set when the
 *   counter is created, never lost, and never pushed back by later increments);
 * - `keys`: `SCAN ... MATCH` (never `KEYS`, which blocks the server);
 * - `deleteIf` / `setIf`: one `EVAL` each, comparing the value and deleting or replacing it in the
 *   same step (compare-and-delete, compare-and-set on one key).
 *
 * Errors (connection lost, an error reply) are passed on as rejections: callers fail closed.
 *
 * @module
 */
import { invalidArgument } from '../errors.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import type { BindIdStore } from './bindid-store.js';

/**
 * The one method of a Redis client this store uses: send a command (name first, then its
 * arguments, all strings) and resolve its reply. node-redis clients have it as is.
 */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link RedisBindIdStore}. */
export interface RedisBindIdStoreOptions {
  /** Prefix of every Redis key this store writes. Default `bindid:`. */
  prefix?: string;
}

const KNOWN: KnownKeys<RedisBindIdStoreOptions> = { prefix: true };

/** Create the counter with its expiry if it is missing, then add `ARGV[2]`: one atomic step on the server. */
export const INCREMENT_SCRIPT =
  "redis.call('SET', KEYS[1], '0', 'NX', 'PX', ARGV[1]) return redis.call('INCRBY', KEYS[1], ARGV[2])";

/** Delete the key only if it holds ARGV[1]: compare-and-delete, one atomic step. Resolves 1 or 0. */
export const DELETE_IF_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/**
 * Replace the key's value by ARGV[2] only if it holds ARGV[1], with the expiry ARGV[3] in ms (none
 * when ARGV[3] is empty): compare-and-set, one atomic step. Resolves 1 or 0.
 */
export const SET_IF_SCRIPT =
  "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end " +
  "if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end return 1";

/** Keys asked for per `SCAN` round trip (a hint to Redis, not a limit). */
const SCAN_COUNT = '1000';

/** A {@link BindIdStore} on Redis, shared by every instance of the app. */
export class RedisBindIdStore implements BindIdStore {
  /** Prefix of every key this store writes in Redis. */
  readonly prefix: string;
  readonly #client: RedisCommander;

  constructor(client: RedisCommander, options?: RedisBindIdStoreOptions) {
    const o = new OptionReader('RedisBindIdStore', options, KNOWN);
    if (typeof (client as Partial<RedisCommander> | null | undefined)?.sendCommand !== 'function') {
      throw o.error(
        'client',
        'must be a Redis client with sendCommand(args) (node-redis 4 or later; for ioredis pass ' +
          '{ sendCommand: (args) => redis.call(...args) })',
      );
    }
    const prefix = o.raw('prefix') ?? 'bindid:';
    if (typeof prefix !== 'string' || prefix.length > 128) {
      throw o.error('prefix', 'must be a string of at most 128 characters');
    }
    this.prefix = prefix;
    this.#client = client;
  }

  async add(key: string, value: string, ttlMs: number): Promise<boolean> {
    const reply = await this.#send(['SET', this.#key(key), checkValue(value), 'NX', 'PX', checkTtl(ttlMs)]);
    return reply === 'OK';
  }

  async get(key: string): Promise<string | undefined> {
    const reply = await this.#send(['GET', this.#key(key)]);
    return reply === null || reply === undefined ? undefined : text(reply);
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

  async keys(prefix: string): Promise<string[]> {
    const match = `${globEscape(this.#key(prefix))}*`;
    const found = new Set<string>(); // SCAN may return a key more than once
    let cursor = '0';
    do {
      const reply = await this.#send(['SCAN', cursor, 'MATCH', match, 'COUNT', SCAN_COUNT]);
      if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
        throw new Error('RedisBindIdStore: SCAN answered something that is not [cursor, keys]');
      }
      cursor = text(reply[0]);
      for (const key of reply[1] as unknown[]) found.add(text(key).slice(this.prefix.length));
    } while (cursor !== '0');
    return [...found];
  }

  async deleteIf(key: string, expected: string): Promise<boolean> {
    const reply = await this.#send(['EVAL', DELETE_IF_SCRIPT, '1', this.#key(key), checkValue(expected)]);
    return Number(reply) === 1;
  }

  async setIf(key: string, expected: string, value: string, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs === undefined ? '' : checkTtl(ttlMs);
    const reply = await this.#send(['EVAL', SET_IF_SCRIPT, '1', this.#key(key), checkValue(expected), checkValue(value), ttl]);
    return Number(reply) === 1;
  }

  #key(key: string): string {
    if (typeof key !== 'string') throw invalidArgument('RedisBindIdStore: a key must be a string');
    return this.prefix + key;
  }

  #send(args: string[]): Promise<unknown> {
    // A client that throws synchronously must still give a rejection.
    try {
      return Promise.resolve(this.#client.sendCommand(args));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** A reply that should be a string (RESP2 bulk strings may come as Buffers with some clients). */
function text(reply: unknown): string {
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new Error('RedisBindIdStore: Redis answered something that is not a string');
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

/** `value` with the glob characters of `SCAN MATCH` escaped, so it matches only itself. */
function globEscape(value: string): string {
  return value.replace(/[\\*?[\]]/g, '\\$&');
}

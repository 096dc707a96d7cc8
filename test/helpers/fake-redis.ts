/**
 * `FakeRedis`: an in-memory model of the few Redis commands `RedisBindIdStore` sends (`SET` with
 * `NX`/`PX`, `GET`, `DEL`, its `EVAL` scripts (increment by, compare-and-delete, compare-and-set)),
 * with a fake clock, so that `npm test` covers `RedisBindIdStore` without a Redis server. It answers
 * as node-redis does over RESP2 (`'OK'`, `null`, strings, numbers), records every command and refuses
 * any other. The real server is exercised by `npm run test:redis`.
 *
 * @module
 */
import { DELETE_IF_SCRIPT, INCREMENT_SCRIPT, type RedisCommander, SET_IF_SCRIPT } from '../../src/stores/redis-bindid-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** A model of Redis, speaking through `sendCommand` like a node-redis client. */
export class FakeRedis implements RedisCommander {
  /** Every command received, in order. */
  readonly commands: string[][] = [];
  /** The fake clock, in ms. */
  now = 0;
  /** When set, the next command rejects with it (then it is cleared). */
  failNext: Error | undefined;
  /**
   * What `CONFIG GET maxmemory-policy` answers (Redis's default `noeviction`), or `undefined` to
   * refuse it as managed Redis does. That read is counted in `configReads`, not in `commands`, and
   * `failNext` does not apply to it: the tests of commands see only the store's own.
   */
  maxmemoryPolicy: string | undefined = 'noeviction';
  /** How many times `CONFIG GET maxmemory-policy` was sent. */
  configReads = 0;
  readonly #data = new Map<string, Entry>();

  async sendCommand(args: string[]): Promise<unknown> {
    if (args[0] === 'CONFIG') return this.#config(args);
    this.commands.push([...args]);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    if (!args.every((a) => typeof a === 'string')) throw new Error('ERR every argument must be a string');
    const [command, ...rest] = args;
    switch (command) {
      case 'SET':
        return this.#set(rest);
      case 'GET':
        return this.#live(rest[0] as string)?.value ?? null;
      case 'DEL':
        return rest.filter((key) => this.#live(key) !== undefined && this.#data.delete(key)).length;
      case 'EVAL':
        return this.#compareScript(rest) ?? this.#eval(rest);
      default:
        throw new Error(`ERR FakeRedis does not model ${command}`);
    }
  }

  #config(args: string[]): unknown {
    this.configReads += 1;
    if (args[1] !== 'GET' || args[2] !== 'maxmemory-policy') throw new Error('ERR FakeRedis models only CONFIG GET maxmemory-policy');
    if (this.maxmemoryPolicy === undefined) throw new Error("ERR unknown command 'CONFIG'");
    return ['maxmemory-policy', this.maxmemoryPolicy];
  }

  /** The remaining time to live of `key` in ms, as `PTTL` answers (-2 missing, -1 no expiry). */
  pttl(key: string): number {
    const entry = this.#live(key);
    if (entry === undefined) return -2;
    return Number.isFinite(entry.expiresAt) ? entry.expiresAt - this.now : -1;
  }

  #set(args: string[]): string | null {
    const [key, value, ...options] = args as [string, string, ...string[]];
    let nx = false;
    let expiresAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < options.length; i++) {
      const option = options[i];
      if (option === 'NX') nx = true;
      else if (option === 'PX') {
        const ms = options[++i] ?? '';
        if (!/^[1-9]\d*$/.test(ms)) throw new Error('ERR invalid expire time in set');
        expiresAt = this.now + Number(ms);
      } else throw new Error(`ERR syntax error (${option})`);
    }
    if (nx && this.#live(key) !== undefined) return null;
    this.#data.set(key, { value, expiresAt });
    return 'OK';
  }

  #eval(args: string[]): number {
    const [script, numKeys, key, ttl, by] = args;
    if (script !== INCREMENT_SCRIPT || numKeys !== '1' || key === undefined || ttl === undefined || by === undefined) {
      throw new Error('ERR FakeRedis only models the increment script');
    }
    if (!/^-?\d+$/.test(by)) throw new Error('ERR value is not an integer or out of range');
    this.#set([key, '0', 'NX', 'PX', ttl]);
    const entry = this.#live(key) as Entry;
    if (!/^-?\d+$/.test(entry.value)) throw new Error('ERR value is not an integer or out of range');
    entry.value = String(Number(entry.value) + Number(by));
    return Number(entry.value);
  }

  /** The compare-and-delete and compare-and-set scripts (`undefined` for any other script). */
  #compareScript(args: string[]): number | undefined {
    const [script, numKeys, key, expected, value, ttl] = args;
    if (script !== DELETE_IF_SCRIPT && script !== SET_IF_SCRIPT) return undefined;
    if (numKeys !== '1' || key === undefined || expected === undefined) throw new Error('ERR wrong number of arguments');
    if (this.#live(key)?.value !== expected) return 0;
    if (script === DELETE_IF_SCRIPT) {
      this.#data.delete(key);
      return 1;
    }
    if (value === undefined || ttl === undefined) throw new Error('ERR wrong number of arguments');
    this.#set(ttl === '' ? [key, value] : [key, value, 'PX', ttl]);
    return 1;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#data.get(key);
    if (entry !== undefined && entry.expiresAt <= this.now) {
      this.#data.delete(key);
      return undefined;
    }
    return entry;
  }
}

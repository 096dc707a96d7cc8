/**
 * `FakeRedisQueues`: the model of Redis of test/helpers/fake-redis.ts, plus what the queue
 * operations of `RedisBindIdStore` send (`HGET`, and the four queue scripts of
 * src/stores/redis-queue.ts, modelled by their effect on a hash and two sorted sets). It also checks
 * what Redis Cluster would check: every key of a multi-key script carries the same hash tag.
 *
 * @module
 */
import { QUEUE_ADD_SCRIPT, QUEUE_DUE_SCRIPT, QUEUE_REMOVE_SCRIPT, QUEUE_UPDATE_SCRIPT } from '../../src/stores/redis-queue.js';
import { FakeRedis } from '../helpers/fake-redis.js';

/** The hash tag of a key as Redis Cluster reads it (the key itself when it has none). */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

interface Queue {
  items: Map<string, string>;
  due: Map<string, number>;
  keep: Map<string, number>;
}

/** A model of Redis with the queue scripts. */
export class FakeRedisQueues extends FakeRedis {
  readonly #queues = new Map<string, Queue>();

  override async sendCommand(args: string[]): Promise<unknown> {
    const [command, script, numKeys] = args;
    const queueScripts = [QUEUE_ADD_SCRIPT, QUEUE_DUE_SCRIPT, QUEUE_UPDATE_SCRIPT, QUEUE_REMOVE_SCRIPT];
    const handled = command === 'HGET' || (command === 'EVAL' && queueScripts.includes(script as string));
    if (handled && this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      this.commands.push([...args]);
      throw err;
    }
    if (command === 'HGET') {
      this.commands.push([...args]);
      return this.#queue(args[1] as string).items.get(args[2] as string) ?? null;
    }
    if (command !== 'EVAL' || !queueScripts.includes(script as string)) return super.sendCommand(args);
    this.commands.push([...args]);
    const keys = args.slice(3, 3 + Number(numKeys));
    const argv = args.slice(3 + Number(numKeys));
    if (new Set(keys.map(hashTag)).size !== 1) throw new Error('CROSSSLOT Keys in request don\'t hash to the same slot');
    const q = this.#queue(keys[0] as string);
    if (script === QUEUE_ADD_SCRIPT) return this.#add(q, argv);
    if (script === QUEUE_DUE_SCRIPT) return this.#due(q, argv);
    const lease = await this.#untracked(['GET', keys[3] as string]);
    const [id, value, dueAt, keepUntil, token] = argv as [string, string, string, string, string];
    if (script === QUEUE_UPDATE_SCRIPT) {
      if (lease !== token) return 0;
      await this.#untracked(['DEL', keys[3] as string]);
      if (!q.items.has(id)) return 0;
      this.#put(q, id, value, dueAt, keepUntil);
      return 1;
    }
    this.#drop(q, id);
    const owner = argv[1] as string;
    if (owner !== '' && lease === owner) await this.#untracked(['DEL', keys[3] as string]);
    return 1;
  }

  /** A command of the base model, not recorded (it runs inside a script). */
  async #untracked(args: string[]): Promise<unknown> {
    const reply = await super.sendCommand(args);
    this.commands.pop();
    return reply;
  }

  #queue(itemsKey: string): Queue {
    let q = this.#queues.get(itemsKey);
    if (!q) {
      q = { items: new Map(), due: new Map(), keep: new Map() };
      this.#queues.set(itemsKey, q);
    }
    return q;
  }

  #add(q: Queue, argv: string[]): number {
    const [id, value, dueAt, keepUntil, now] = argv as [string, string, string, string, string];
    const kept = q.keep.get(id);
    if (kept !== undefined && kept <= Number(now)) this.#drop(q, id);
    if (q.items.has(id)) return 0;
    this.#put(q, id, value, dueAt, keepUntil);
    return 1;
  }

  #due(q: Queue, argv: string[]): string[] {
    const [now, limit] = [Number(argv[0]), Number(argv[1])];
    const gone = [...q.keep].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]).slice(0, 100);
    for (const [id] of gone) this.#drop(q, id);
    // Sorted sets order equal scores by member.
    const ids = [...q.due]
      .filter(([, at]) => at <= now)
      .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([id]) => id);
    return ids.flatMap((id) => [id, q.items.get(id) as string]);
  }

  #put(q: Queue, id: string, value: string, dueAt: string, keepUntil: string): void {
    q.items.set(id, value);
    q.due.set(id, Number(dueAt));
    q.keep.set(id, Number(keepUntil));
  }

  #drop(q: Queue, id: string): void {
    q.items.delete(id);
    q.due.delete(id);
    q.keep.delete(id);
  }
}

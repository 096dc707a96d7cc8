/**
 * The chaos run's app instances: a fixed number of slots, each running one instance
 * (test/redis/instance.ts, in its own process) on the Redis Cluster, fail-open with the default
 * outbox (`StoreOutbox` on its `RedisBindIdStore`) and the outbox worker running. No load balancer:
 * {@link Fleet.pick} gives a random running instance for each request.
 *
 * @module
 */
import { type Instance, type InstanceEvent, type EmulatorEndpoints, sleep, startInstance } from '../redis/instances.js';

/** A SIGKILL the supervisor did. */
export interface Kill {
  at: number;
  instance: string;
}

export class Fleet {
  /** Every instance started, killed ones included (their events are the run's record). */
  readonly started: Instance[] = [];
  readonly kills: Kill[] = [];
  readonly #slots: Array<Instance | undefined>;
  readonly #generation: number[];
  readonly #redisUrls: string;
  readonly #emulator: EmulatorEndpoints;

  private constructor(size: number, redisUrls: string[], emulator: EmulatorEndpoints) {
    this.#slots = Array.from({ length: size }, () => undefined);
    this.#generation = Array.from({ length: size }, () => 0);
    this.#redisUrls = redisUrls.join(',');
    this.#emulator = emulator;
  }

  /** Start `size` instances on the cluster at `redisUrls`. */
  static async start(size: number, redisUrls: string[], emulator: EmulatorEndpoints): Promise<Fleet> {
    const fleet = new Fleet(size, redisUrls, emulator);
    await Promise.all(fleet.#slots.map((_, slot) => fleet.#startSlot(slot)));
    return fleet;
  }

  get size(): number {
    return this.#slots.length;
  }

  async #startSlot(slot: number): Promise<void> {
    this.#generation[slot] = (this.#generation[slot] ?? 0) + 1;
    const name = `app${slot + 1}.${this.#generation[slot]}`;
    const instance = await startInstance(name, this.#redisUrls, this.#emulator, {
      failureMode: 'open',
      cluster: true,
      defaultOutbox: true,
      maxAttempts: 50,
      perAccount: 1000,
    });
    this.started.push(instance);
    this.#slots[slot] = instance;
  }

  /** A random running instance (waits while none runs). */
  async pick(): Promise<Instance> {
    for (;;) {
      const running = this.#slots.filter((i): i is Instance => i !== undefined);
      const instance = running[Math.floor(Math.random() * running.length)];
      if (instance) return instance;
      await sleep(50);
    }
  }

  /** SIGKILL the instance of `slot`, wait `downMs`, start a new one in its place. */
  async killAndRestart(slot: number, downMs: number): Promise<void> {
    const instance = this.#slots[slot];
    if (!instance) return;
    this.#slots[slot] = undefined;
    this.kills.push({ at: Date.now(), instance: instance.name });
    await instance.kill();
    await sleep(downMs);
    await this.#startSlot(slot);
  }

  /** Every event of every instance. */
  events(): InstanceEvent[] {
    return this.started.flatMap((i) => i.events);
  }

  /** Stop every running instance (each stops its worker); SIGKILL what does not stop. */
  async stop(): Promise<void> {
    await Promise.all(this.started.map((i) => i.stop().catch(() => i.kill())));
  }
}

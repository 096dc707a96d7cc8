/**
 * A real Redis Cluster for the Redis suites (`npm run test:redis`): three masters, no replicas, each a
 * {@link RedisServer} started with `--cluster-enabled yes` on 127.0.0.1 in its own temporary
 * directory, joined with `redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes`, and
 * torn down by {@link RedisCluster.close} (and killed if the test process exits first). The chaos
 * run can reuse it: {@link RedisCluster.restartMaster} restarts one master from its append-only file.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { RedisServer } from './redis-server.js';

/** The redis-cli binary (`$REDIS_CLI`, or `redis-cli` next to redis-server). */
export function redisCli(): string {
  return process.env.REDIS_CLI || 'redis-cli';
}

/** One command over a raw socket, answered as text (enough for `CLUSTER INFO`, `FLUSHALL`). */
export function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = () => {
      socket.destroy();
      resolve(data);
    };
    socket.setTimeout(1000, done);
    socket.once('error', done);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (/\r\n$/.test(data) && (!data.startsWith('$') || data.split('\r\n').length > 2)) done();
    });
  });
}

/** A 3-master Redis Cluster on 127.0.0.1. */
export class RedisCluster {
  readonly nodes: RedisServer[];

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  /** Start `masters` nodes, join them into one cluster covering every slot, and wait until it is ok. */
  static async start(masters = 3): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) nodes.push(await RedisServer.start({ cluster: true }));
      const create = spawnSync(
        redisCli(),
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.error || create.status !== 0) {
        throw new Error(`redis-cli --cluster create failed (${create.error?.message ?? `exit ${create.status}`}):\n${create.stdout}\n${create.stderr}`);
      }
      const cluster = new RedisCluster(nodes);
      await cluster.waitOk();
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.close()));
      throw err;
    }
  }

  /** `redis://127.0.0.1:<port>` of each node (root nodes for a cluster client). */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** Resolve once every running node says `cluster_state:ok` and knows every master (10 s at most). */
  async waitOk(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const infos = await Promise.all(this.nodes.map((n) => ask(n.port, 'CLUSTER INFO')));
      if (infos.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${this.nodes.length}`))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok within 10 s');
  }

  /** Stop every node (each finishes writing its append-only file). */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  /** Start every stopped node again, same ports and data, and wait for the cluster. */
  async startAgain(): Promise<void> {
    for (const n of this.nodes) if (!n.running) await n.startAgain();
    await this.waitOk();
  }

  /** Restart master `index` (stop, start from its data) and wait for the cluster. */
  async restartMaster(index: number): Promise<void> {
    const node = this.nodes[index];
    if (!node) throw new Error(`no master ${index}`);
    await node.restart();
    await this.waitOk();
  }

  /** Stop every node and delete their data directories. */
  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

/**
 * What the Redis suites run on: one `redis-server` ({@link RedisServer}) or a 3-master Redis Cluster
 * ({@link RedisCluster}), and the four clients `RedisBindIdStore` takes as they are: node-redis
 * (`createClient`, `createCluster`) and ioredis (`Redis`, `Cluster`).
 *
 * @module
 */
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import type { RedisBindIdStoreClient } from '../../src/stores/index.js';
import { ask, RedisCluster } from './redis-cluster.js';
import { RedisServer } from './redis-server.js';

/** One server or a cluster, running on 127.0.0.1. */
export interface RedisTarget {
  readonly kind: Topology;
  /** `redis://127.0.0.1:<port>` of each node (one for a single server). */
  readonly urls: string[];
  /** Empty every node. */
  flush(): Promise<void>;
  /** Stop every node (data kept). */
  stop(): Promise<void>;
  /** Start the stopped nodes again and wait until they serve. */
  startAgain(): Promise<void>;
  /** Restart node `index` (a cluster's master, or the one server) from its data, and wait until it serves. */
  restartNode(index: number): Promise<void>;
  /** How many nodes (masters) there are. */
  readonly size: number;
  /** The commands every node ran since its stats were reset (`CONFIG RESETSTAT`), by name, lower case. */
  commandsRun(): Promise<Set<string>>;
  /** Reset the command stats of every node. */
  resetStats(): Promise<void>;
  /** Stop everything and delete the data. */
  close(): Promise<void>;
}

export type Topology = 'single' | 'cluster';
export const TOPOLOGIES: readonly Topology[] = ['single', 'cluster'];
export const TOPOLOGY_NAME: Record<Topology, string> = { single: 'one Redis server', cluster: 'a 3-master Redis Cluster' };

/** Start a fresh target of `kind`. */
export async function startTarget(kind: Topology): Promise<RedisTarget> {
  if (kind === 'single') {
    const server = await RedisServer.start();
    return {
      ...stats([server.port]),
      kind,
      urls: [server.url],
      flush: async () => void (await ask(server.port, 'FLUSHALL')),
      stop: () => server.stop(),
      startAgain: () => server.startAgain(),
      restartNode: () => server.restart(),
      size: 1,
      close: () => server.close(),
    };
  }
  const cluster = await RedisCluster.start(3);
  return {
    ...stats(cluster.nodes.map((n) => n.port)),
    kind,
    urls: cluster.urls,
    flush: async () => void (await Promise.all(cluster.nodes.map((n) => ask(n.port, 'FLUSHALL')))),
    stop: () => cluster.stop(),
    startAgain: () => cluster.startAgain(),
    restartNode: (index) => cluster.restartMaster(index),
    size: cluster.nodes.length,
    close: () => cluster.close(),
  };
}

/** Command stats of the nodes on `ports` (`INFO commandstats`, `CONFIG RESETSTAT`). */
function stats(ports: number[]): Pick<RedisTarget, 'commandsRun' | 'resetStats'> {
  return {
    commandsRun: async () => {
      const infos = await Promise.all(ports.map((p) => ask(p, 'INFO commandstats')));
      return new Set(infos.flatMap((info) => [...info.matchAll(/^cmdstat_([a-z|]+):/gm)].map((m) => m[1] as string)));
    },
    resetStats: async () => void (await Promise.all(ports.map((p) => ask(p, 'CONFIG RESETSTAT')))),
  };
}

/** A connected client and how to close it. */
export interface OpenClient {
  client: RedisBindIdStoreClient;
  close(): Promise<void>;
}

/** A Redis library, and how it connects to a target. */
export interface ClientKind {
  name: string;
  open(target: RedisTarget): Promise<OpenClient>;
}

const port = (url: string) => Number(new URL(url).port);

export const NODE_REDIS: ClientKind = {
  name: 'node-redis',
  async open(target) {
    if (target.kind === 'single') {
      const client = createClient({ url: target.urls[0] });
      client.on('error', () => {}); // a test that restarts the server makes every client reconnect
      await client.connect();
      return { client, close: async () => void (await client.close().catch(() => {})) };
    }
    const cluster = createCluster({ rootNodes: target.urls.map((url) => ({ url })) });
    cluster.on('error', () => {});
    await cluster.connect();
    return { client: cluster, close: async () => void (await cluster.close().catch(() => {})) };
  },
};

export const IOREDIS: ClientKind = {
  name: 'ioredis',
  async open(target) {
    if (target.kind === 'single') {
      const client = new Redis(port(target.urls[0] as string), '127.0.0.1', { lazyConnect: true });
      client.on('error', () => {});
      await client.connect();
      return { client, close: async () => void client.disconnect() };
    }
    const cluster = new Cluster(target.urls.map((url) => ({ host: '127.0.0.1', port: port(url) })), { lazyConnect: true });
    cluster.on('error', () => {});
    await cluster.connect();
    return { client: cluster, close: async () => void cluster.disconnect() };
  },
};

export const CLIENT_KINDS: readonly ClientKind[] = [NODE_REDIS, IOREDIS];

/** How `kind` is built on `topology`, for test titles. */
export function clientTitle(kind: ClientKind, topology: Topology): string {
  if (kind === NODE_REDIS) return topology === 'single' ? 'node-redis createClient' : 'node-redis createCluster';
  return topology === 'single' ? 'ioredis Redis' : 'ioredis Cluster';
}

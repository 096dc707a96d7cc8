/**
 * A real `redis-server` for the Redis suites (`npm run test:redis`): started on 127.0.0.1 on a free
 * port, with its data in a fresh temporary directory, persisted to an append-only file fsynced on
 * every write (`appendfsync always`), so that {@link RedisServer.restart} brings back exactly what
 * was acknowledged before the stop. Nothing is downloaded: the binary is `$REDIS_SERVER` or
 * `redis-server` on the PATH (Debian's `redis-server` package; `.ci/run` installs it when missing).
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The redis-server binary to run, or why there is none. */
export function findRedisServer(): { bin: string } | { missing: string } {
  const bin = process.env.REDIS_SERVER || 'redis-server';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return { missing: `${bin} was not found or does not run (${probe.error?.message ?? `exit ${probe.status}`})` };
  }
  return { bin };
}

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One PING over a raw socket: true when the server answers PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** Every redis-server this process started and has not stopped: killed if the process exits first. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Start it as a Redis Cluster node (`--cluster-enabled yes`, its config file in its data directory). */
  cluster?: boolean;
}

/** A redis-server process on 127.0.0.1. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly cluster: boolean;
  readonly #bin: string;
  #proc: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = '';

  private constructor(bin: string, port: number, dir: string, cluster: boolean) {
    this.#bin = bin;
    this.port = port;
    this.dir = dir;
    this.cluster = cluster;
  }

  /** Start a new server with an empty data directory. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const found = findRedisServer();
    if ('missing' in found) throw new Error(`cannot start Redis: ${found.missing}`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'express-bindid-redis-'));
    const server = new RedisServer(found.bin, await freePort(), dir, options.cluster === true);
    try {
      await server.#spawn();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return server;
  }

  /** `redis://127.0.0.1:<port>`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether the process is running. */
  get running(): boolean {
    return this.#proc !== undefined;
  }

  /** Stop the server (SIGTERM: it finishes writing the append-only file), and wait for it to exit. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc) return;
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.kill('SIGTERM');
    await this.#exited;
    clearTimeout(kill);
  }

  /** Start the stopped server again, on the same port, from the same data directory. */
  async startAgain(): Promise<void> {
    if (this.#proc) throw new Error('redis-server is already running');
    await this.#spawn();
  }

  /** Stop, then start again: what was acknowledged before the stop is there after it. */
  async restart(): Promise<void> {
    await this.stop();
    await this.startAgain();
  }

  /** Stop the server and delete its data directory. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async #spawn(): Promise<void> {
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'always',
      '--daemonize', 'no',
      '--loglevel', 'warning',
      ...(this.cluster ? ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] : []),
    ];
    const proc = spawn(this.#bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#log = '';
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.#proc = proc;
    live.add(proc);
    this.#exited = new Promise((resolve) => {
      proc.once('exit', () => {
        live.delete(proc);
        if (this.#proc === proc) this.#proc = undefined;
        resolve();
      });
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (!this.#proc) throw new Error(`redis-server exited at start:\n${this.#log}`);
      if (await ping(this.port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.stop();
    throw new Error(`redis-server did not answer PING within 10 s:\n${this.#log}`);
  }
}

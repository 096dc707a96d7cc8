/**
 * The IPC protocol between the bench runner and its child processes (servers and the probe), and
 * the child side of it. Secrets and tokens may cross this channel (it is a pipe between processes
 * of one user); they are never printed.
 *
 * A child calls {@link serve} once it is ready: it announces itself with `{ type: 'ready', info }`
 * and then answers `{ type: 'call', id, method, arg }` messages with `{ type: 'reply', id, result }`
 * or `{ type: 'reply', id, error }`.
 *
 * @module
 */
import diagnostics from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** What a child sends. */
export type FromChild =
  | { type: 'ready'; info: Record<string, unknown> }
  | { type: 'reply'; id: number; result?: unknown; error?: string };

/** What the runner sends. */
export interface CallMessage {
  type: 'call';
  id: number;
  method: string;
  arg?: unknown;
}

/** A child's handlers, by method name. */
export type Handlers = Record<string, (arg: unknown) => unknown>;

/** One process's resource figures, as `stats` answers them. */
export interface ProcessStats {
  /** CPU time used since the process started, in µs (user + system). */
  cpuMicros: number;
  /** Resident set size, bytes. */
  rss: number;
  /** V8 heap in use, and reserved, bytes. */
  heapUsed: number;
  heapTotal: number;
  /** Memory of C++ objects bound to JS objects (buffers...), and of ArrayBuffers alone, bytes. */
  external: number;
  arrayBuffers: number;
  /** Active resources by type (`process.getActiveResourcesInfo()`): `Timeout`, `TCPSocketWrap`... */
  resources: Record<string, number>;
  /** Outgoing TCP connections opened so far, and open now. */
  clientSocketsOpened: number;
  clientSocketsOpen: number;
  /** Outgoing HTTP requests started so far, and not finished (queued in an agent, in flight) now. */
  clientRequestsStarted: number;
  clientRequestsInFlight: number;
  /** Event-loop delay since `loopStart`, in ms (zeros when it is off). */
  loopDelay: { p50: number; p99: number; max: number };
}

const counters = { socketsOpened: 0, socketsOpen: 0, requestsStarted: 0, requestsInFlight: 0 };
const loop = monitorEventLoopDelay({ resolution: 10 });

/**
 * Count outgoing connections and requests from now on. Connections: `net.client.socket` (plain
 * `net.connect`), the socket of each `node:http`/`node:https` request (`tls.connect` publishes on no
 * channel, so HTTPS connections are seen through their first request) and `undici:client:connected`
 * (`fetch`); each socket counted once. Requests: `http.client.request.start`.
 */
export function startCounting(): void {
  const seen = new WeakSet<Socket>();
  const opened = (socket: Socket): void => {
    if (seen.has(socket)) return;
    seen.add(socket);
    counters.socketsOpened += 1;
    counters.socketsOpen += 1;
    socket.once('close', () => {
      counters.socketsOpen -= 1;
    });
  };
  diagnostics.subscribe('net.client.socket', (message) => opened((message as { socket: Socket }).socket));
  diagnostics.subscribe('undici:client:connected', (message) => opened((message as { socket: Socket }).socket));
  diagnostics.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    counters.requestsStarted += 1;
    counters.requestsInFlight += 1;
    // Published when the request is finished, by then it usually has its socket already.
    if (request.socket) opened(request.socket);
    else request.once('socket', opened);
    request.once('close', () => {
      counters.requestsInFlight -= 1;
    });
  });
}

/** This process's {@link ProcessStats}. */
export function processStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
  const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
  return {
    cpuMicros: cpu.user + cpu.system,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    heapTotal: memory.heapTotal,
    external: memory.external,
    arrayBuffers: memory.arrayBuffers,
    resources,
    clientSocketsOpened: counters.socketsOpened,
    clientSocketsOpen: counters.socketsOpen,
    clientRequestsStarted: counters.requestsStarted,
    clientRequestsInFlight: counters.requestsInFlight,
    loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  };
}

let profiler: Session | undefined;

function post(method: string, params?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    profiler?.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/**
 * Handlers every child has: `stats`; `loopStart` / `loopStop` (the event-loop delay monitor, a timer
 * every 10 ms, runs only between them: on all the time it would cost about 1 % of a CPU); `gc` (with
 * `--expose-gc`: two collections `settleMs` apart, default 500); `profileStart` / `profileStop` (a V8 CPU profile of exactly the window between
 * them, written to the given file).
 */
export const COMMON_HANDLERS: Handlers = {
  stats: () => processStats(),
  loopStart: () => {
    loop.reset();
    loop.enable();
    return true;
  },
  loopStop: () => {
    loop.disable();
    return true;
  },
  gc: async (settleMs) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      // Let V8 and the allocator hand freed pages back before RSS is read.
      await new Promise((resolve) => setTimeout(resolve, typeof settleMs === 'number' ? settleMs : 500));
      gc();
    }
    return processStats();
  },
  profileStart: async () => {
    profiler ??= new Session();
    profiler.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
    return true;
  },
  profileStop: async (file) => {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    profiler?.disconnect();
    writeFileSync(file as string, JSON.stringify(profile));
    return true;
  },
};

/** Announce `info` to the runner and answer its calls with `handlers` (plus {@link COMMON_HANDLERS}). */
export function serve(info: Record<string, unknown>, handlers: Handlers, onStop: () => Promise<void> | void): void {
  const send = process.send?.bind(process);
  if (!send) throw new Error('this bench process must be started by bench/run.ts (no IPC channel)');
  const all: Handlers = { ...COMMON_HANDLERS, ...handlers };
  process.on('message', (raw) => {
    const message = raw as CallMessage;
    if (message?.type !== 'call') return;
    const handler = all[message.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method ${message.method}`);
        return handler(message.arg);
      })
      .then(
        (result) => send({ type: 'reply', id: message.id, result } satisfies FromChild),
        (err: unknown) =>
          send({ type: 'reply', id: message.id, error: err instanceof Error ? err.message : String(err) } satisfies FromChild),
      );
  });
  // The runner going away (or closing the channel) ends the child.
  process.once('disconnect', () => {
    Promise.resolve(onStop()).finally(() => process.exit(0));
  });
  send({ type: 'ready', info: { ...info, pid: process.pid } } satisfies FromChild);
}

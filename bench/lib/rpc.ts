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
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
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
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Active resources by type (`process.getActiveResourcesInfo()`): `Timeout`, `TCPSocketWrap`... */
  resources: Record<string, number>;
  /** Outgoing TCP connections opened so far, and open now. */
  clientSocketsOpened: number;
  clientSocketsOpen: number;
  /** Outgoing HTTP requests started so far, and not finished (queued in an agent, in flight) now. */
  clientRequestsStarted: number;
  clientRequestsInFlight: number;
  /** Event-loop delay since the last `resetLoop`, in ms. */
  loopDelay: { p50: number; p99: number; max: number };
}

const counters = { socketsOpened: 0, socketsOpen: 0, requestsStarted: 0, requestsInFlight: 0 };
const loop = monitorEventLoopDelay({ resolution: 5 });

/**
 * Count outgoing connections and requests from now on (`net.client.socket`,
 * `http.client.request.start`), and start the event-loop delay monitor.
 */
export function startCounting(): void {
  diagnostics.subscribe('net.client.socket', (message) => {
    const { socket } = message as { socket: Socket };
    counters.socketsOpened += 1;
    counters.socketsOpen += 1;
    socket.once('close', () => {
      counters.socketsOpen -= 1;
    });
  });
  diagnostics.subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    counters.requestsStarted += 1;
    counters.requestsInFlight += 1;
    request.once('close', () => {
      counters.requestsInFlight -= 1;
    });
  });
  loop.enable();
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
    resources,
    clientSocketsOpened: counters.socketsOpened,
    clientSocketsOpen: counters.socketsOpen,
    clientRequestsStarted: counters.requestsStarted,
    clientRequestsInFlight: counters.requestsInFlight,
    loopDelay: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
  };
}

/** Handlers every child has: `stats`, `resetLoop`, `gc` (with `--expose-gc`). */
export const COMMON_HANDLERS: Handlers = {
  stats: () => processStats(),
  resetLoop: () => {
    loop.reset();
    return true;
  },
  gc: () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc) {
      gc();
      gc();
    }
    return processStats();
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
  send({ type: 'ready', info } satisfies FromChild);
}

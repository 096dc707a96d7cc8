/**
 * A scriptable fake BindID API server for tests: plain `node:http` on 127.0.0.1, a free port.
 *
 * It records every request it receives (method, path, headers, raw body, arrival time, which TCP
 * connection carried it) and answers each one from a per-test script: a queue of {@link Reply}
 * values, used in order, then a default reply (200 `{}` unless {@link FakeBindId.setDefault} says
 * otherwise). Nothing here ever talks to anything but 127.0.0.1.
 *
 * ```ts
 * const bindid = await FakeBindId.start();
 * bindid.script(reply.status(503, { headers: { 'Retry-After': '1' } }), reply.json(200, {}));
 * const client = new SessionFeedbackClient({ clientSecret, apiUrl: bindid.url });
 * await client.authenticationPerformed({ accessToken, alias: 'u1' });
 * expect(bindid.requests).toHaveLength(2);
 * await bindid.close(); // also destroys hung and trickling sockets
 * ```
 *
 * Replies (build them with {@link reply}):
 * - `respond`: status + headers + body, optionally after `delayMs`;
 * - `hang`: read the request, never answer (until `close()`);
 * - `drop`: read the request, then destroy the socket (the client sees ECONNRESET / socket hang up);
 * - `trickle`: send the status line and headers, then one byte every `intervalMs`;
 * - `huge`: stream `bytes` bytes of body in chunks, honouring back-pressure (so the server's own
 *   memory stays flat whatever the client does);
 * - `redirect`: a 3xx with a `Location`.
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the fake server received it. */
export interface RecordedRequest {
  /** Position in arrival order, from 0. */
  index: number;
  method: string;
  /** The request target, e.g. `/session-feedback` (path and query as sent). */
  path: string;
  /** Header names in lower case, as Node parses them. */
  headers: http.IncomingHttpHeaders;
  /** The raw body bytes. */
  body: Buffer;
  /** `performance.now()` when the whole body had arrived. */
  at: number;
  /** Which TCP connection carried the request (0 for the first one the server accepted). */
  connection: number;
  /**
   * Body bytes of the reply the server managed to hand to the socket so far (counted for `huge`
   * and `trickle` replies): a client that stops reading early keeps this far below the full size.
   */
  replyBytes: number;
}

/** How to answer one request. See the module doc and {@link reply}. */
export type Reply =
  | {
      kind: 'respond';
      status: number;
      headers?: Record<string, string | string[]>;
      body?: string | Buffer;
      delayMs?: number;
    }
  | { kind: 'hang' }
  | { kind: 'drop'; delayMs?: number }
  | { kind: 'trickle'; status: number; headers?: Record<string, string>; intervalMs: number }
  | { kind: 'huge'; status: number; bytes: number; chunkBytes?: number; contentLength?: boolean }
  | { kind: 'redirect'; status: number; location: string };

/** A reply computed from the request, for scripts that depend on what was sent. */
export type ReplyFn = (request: RecordedRequest) => Reply;

/** Builders of {@link Reply} values. */
export const reply = {
  /** Any status, headers and body (default: no body). */
  status(
    status: number,
    options: { headers?: Record<string, string | string[]>; body?: string | Buffer; delayMs?: number } = {},
  ): Reply {
    return { kind: 'respond', status, ...options };
  },
  /** A JSON body with `Content-Type: application/json`. */
  json(status: number, body: unknown, options: { headers?: Record<string, string>; delayMs?: number } = {}): Reply {
    return {
      kind: 'respond',
      status,
      headers: { 'Content-Type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
    };
  },
  /** Never answer. */
  hang(): Reply {
    return { kind: 'hang' };
  },
  /** Destroy the socket once the request has arrived (optionally after `delayMs`). */
  drop(delayMs?: number): Reply {
    return delayMs === undefined ? { kind: 'drop' } : { kind: 'drop', delayMs };
  },
  /** Send headers at once, then one body byte every `intervalMs`, forever (until the client or `close()` ends it). */
  trickle(status: number, intervalMs: number, headers?: Record<string, string>): Reply {
    return headers === undefined ? { kind: 'trickle', status, intervalMs } : { kind: 'trickle', status, intervalMs, headers };
  },
  /** A body of `bytes` bytes (`x`), streamed; `contentLength: false` sends it chunked. */
  huge(status: number, bytes: number, options: { chunkBytes?: number; contentLength?: boolean } = {}): Reply {
    return { kind: 'huge', status, bytes, ...options };
  },
  /** A redirect to `location`. */
  redirect(status: number, location: string): Reply {
    return { kind: 'redirect', status, location };
  },
};

/** The fake server. Start it with {@link FakeBindId.start}; always `close()` it (e.g. in `afterEach`). */
export class FakeBindId {
  /** Every request received, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Base URL, e.g. `http://127.0.0.1:40123` (no trailing slash): pass it as `apiUrl`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;

  readonly #server: http.Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #queue: Array<Reply | ReplyFn> = [];
  readonly #waiters: Array<{ count: number; resolve: () => void }> = [];
  #default: Reply | ReplyFn = reply.json(200, {});
  #connections = 0;
  #closed = false;

  private constructor(server: http.Server) {
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    server.on('connection', (socket: Socket & { fakeBindIdConnection?: number }) => {
      socket.fakeBindIdConnection = this.#connections++;
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      // A client that aborts mid-reply resets the socket; that is expected here, not a test failure.
      socket.on('error', () => {});
    });
    server.on('request', (req, res) => this.#onRequest(req, res));
  }

  /** Start a server on 127.0.0.1 and a free port. */
  static async start(): Promise<FakeBindId> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeBindId(server);
  }

  /** Queue replies for the next requests, in order. Once the queue is empty the default reply is used. */
  script(...replies: Array<Reply | ReplyFn>): this {
    this.#queue.push(...replies);
    return this;
  }

  /** The reply used when the script queue is empty (initially 200 with body `{}`). */
  setDefault(next: Reply | ReplyFn): this {
    this.#default = next;
    return this;
  }

  /** Forget recorded requests and unused scripted replies, and restore the default reply (200 `{}`). */
  reset(): this {
    this.requests.length = 0;
    this.#queue.length = 0;
    this.#default = reply.json(200, {});
    return this;
  }

  /** How many TCP connections the server has accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** The requests' bodies parsed as JSON. */
  bodies(): unknown[] {
    return this.requests.map((r) => JSON.parse(r.body.toString('utf8')) as unknown);
  }

  /** Resolve once at least `count` requests have arrived; reject after `timeoutMs`. */
  waitForRequests(count: number, timeoutMs = 2000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`fake BindID: expected ${count} request(s) within ${timeoutMs} ms, got ${this.requests.length}`)),
        timeoutMs,
      );
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stop listening, destroy every open socket (hung, trickling or idle keep-alive) and cancel pending replies. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Run `fn` after `ms` (every `ms` with `repeat`); `close()` cancels it. */
  #later(ms: number, fn: () => void, repeat = false): NodeJS.Timeout {
    const timer: NodeJS.Timeout = repeat
      ? setInterval(fn, ms)
      : setTimeout(() => {
          this.#timers.delete(timer);
          fn();
        }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #stop(timer: NodeJS.Timeout): void {
    clearInterval(timer);
    this.#timers.delete(timer);
  }

  #onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        index: this.requests.length,
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        at: performance.now(),
        connection: (req.socket as Socket & { fakeBindIdConnection?: number }).fakeBindIdConnection ?? -1,
        replyBytes: 0,
      };
      this.requests.push(recorded);
      for (const waiter of this.#waiters.splice(0)) {
        if (this.requests.length >= waiter.count) waiter.resolve();
        else this.#waiters.push(waiter);
      }
      const next = this.#queue.length > 0 ? this.#queue.shift() : this.#default;
      const chosen = typeof next === 'function' ? next(recorded) : (next as Reply);
      this.#answer(chosen, recorded, req, res);
    });
  }

  #answer(r: Reply, recorded: RecordedRequest, req: http.IncomingMessage, res: http.ServerResponse): void {
    res.on('error', () => {});
    switch (r.kind) {
      case 'respond': {
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(r.status, r.headers);
          res.end(r.body);
        };
        if (r.delayMs) this.#later(r.delayMs, send);
        else send();
        return;
      }
      case 'hang':
        return;
      case 'drop':
        if (r.delayMs) this.#later(r.delayMs, () => req.socket.destroy());
        else req.socket.destroy();
        return;
      case 'redirect':
        res.writeHead(r.status, { Location: r.location, 'Content-Length': '0' });
        res.end();
        return;
      case 'trickle': {
        res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
        res.flushHeaders();
        const tick = () => {
          if (res.destroyed) return this.#stop(timer);
          res.write('x');
          recorded.replyBytes += 1;
        };
        const timer = this.#later(r.intervalMs, tick, true);
        res.on('close', () => this.#stop(timer));
        return;
      }
      case 'huge': {
        const chunkBytes = r.chunkBytes ?? 64 * 1024;
        const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
        if (r.contentLength !== false) headers['Content-Length'] = String(r.bytes);
        res.writeHead(r.status, headers);
        const chunk = Buffer.alloc(chunkBytes, 'x');
        let left = r.bytes;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            const piece = left >= chunkBytes ? chunk : chunk.subarray(0, left);
            left -= piece.length;
            recorded.replyBytes += piece.length;
            if (!res.write(piece)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        pump();
        return;
      }
    }
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released), for "connection refused". */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

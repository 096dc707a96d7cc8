/**
 * A tiny forward proxy on 127.0.0.1, as a corporate egress proxy works, recording everything it
 * carries:
 *
 * - `CONNECT host:port` (https targets): a TCP tunnel. `tunnels` keeps, per tunnel, the target, the
 *   `Proxy-Authorization` it was given, the local port of its socket to the target (what the target
 *   sees as the client's port) and the bytes it carried (up to 1 MiB each way, to show they are
 *   encrypted);
 * - an absolute-form request (`GET http://host:port/path`, http targets): forwarded with a fresh
 *   connection. `forwarded` keeps its method, URL, headers and the local port of its upstream socket.
 *
 * It reaches loopback targets only (anything else is answered 403), so a test can never touch the
 * network beyond this machine. `refuseWith(407)` makes it answer every later CONNECT and request
 * with that status instead.
 *
 * ```ts
 * const proxy = await ConnectProxy.start();
 * try { ...requests with HTTPS_PROXY=proxy.url... } finally { await proxy.close(); }
 * expect(proxy.tunnels.map((t) => t.target)).toContain(`127.0.0.1:${port}`);
 * ```
 *
 * @module
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { isLoopback } from '../../src/internal/is-loopback.js';

/** One CONNECT tunnel. */
export interface Tunnel {
  /** `host:port` as the CONNECT line named it. */
  readonly target: string;
  readonly proxyAuthorization: string | undefined;
  /** The local port of the proxy's socket to the target, once connected. */
  upstreamPort: number | undefined;
  /** What went through, each way (up to 1 MiB), as latin1 text. */
  sent: string;
  received: string;
}

/** One absolute-form request. */
export interface Forwarded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  upstreamPort: number | undefined;
}

const KEEP_BYTES = 1024 * 1024;

export class ConnectProxy {
  readonly tunnels: Tunnel[] = [];
  readonly forwarded: Forwarded[] = [];
  readonly #server: http.Server;
  readonly #sockets = new Set<net.Socket>();
  #refusal: number | undefined;
  url = '';

  private constructor() {
    this.#server = http.createServer((req, res) => this.#forward(req, res));
    this.#server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => this.#tunnel(req, client, head));
    this.#server.on('connection', (socket: net.Socket) => this.#track(socket));
  }

  /** A proxy listening on 127.0.0.1, on a free port. */
  static async start(): Promise<ConnectProxy> {
    const proxy = new ConnectProxy();
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(proxy.#server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** Answer every later CONNECT and request with `status` (a 407 asks for credentials). */
  refuseWith(status: number): void {
    this.#refusal = status;
  }

  /** The local ports of every connection the proxy made to a target: a request from one of them came through it. */
  upstreamPorts(): Set<number> {
    const ports = [...this.tunnels, ...this.forwarded].map((t) => t.upstreamPort);
    return new Set(ports.filter((p): p is number => p !== undefined));
  }

  /** Stop listening and end every connection, tunnels included. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #track(socket: net.Socket): net.Socket {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    return socket;
  }

  #tunnel(req: http.IncomingMessage, client: net.Socket, head: Buffer): void {
    const target = req.url ?? '';
    const tunnel: Tunnel = { target, proxyAuthorization: req.headers['proxy-authorization'], upstreamPort: undefined, sent: '', received: '' };
    this.tunnels.push(tunnel);
    const { hostname, port } = new URL(`http://${target}`);
    const refusal = this.#refusal ?? (isLoopback(hostname) ? undefined : 403);
    if (refusal !== undefined) {
      client.end(`HTTP/1.1 ${refusal} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const upstream = this.#track(net.connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => {
      tunnel.upstreamPort = upstream.localPort;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    }));
    client.on('data', (chunk: Buffer) => {
      if (tunnel.sent.length < KEEP_BYTES) tunnel.sent += chunk.toString('latin1');
    });
    upstream.on('data', (chunk: Buffer) => {
      if (tunnel.received.length < KEEP_BYTES) tunnel.received += chunk.toString('latin1');
    });
    upstream.once('close', () => client.destroy());
    client.once('close', () => upstream.destroy());
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const record: Forwarded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, upstreamPort: undefined };
    this.forwarded.push(record);
    const target = URL.canParse(record.url) ? new URL(record.url) : undefined;
    const refusal = this.#refusal ?? (target?.protocol === 'http:' && isLoopback(target.hostname) ? undefined : 403);
    if (refusal !== undefined || target === undefined) {
      res.writeHead(refusal ?? 400, { 'content-length': '0' }).end();
      return;
    }
    const { 'proxy-authorization': _auth, 'proxy-connection': _conn, ...headers } = req.headers;
    const upstream = http.request(target, { method: req.method, headers, agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('socket', (socket: net.Socket) => {
      this.#track(socket);
      socket.once('connect', () => {
        record.upstreamPort = socket.localPort;
      });
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

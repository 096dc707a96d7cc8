/**
 * A tiny loopback HTTP server for the doctor's tests: `handle` answers each request (status, headers,
 * body), or `'hang'` (never answer) or `'drop'` (close the connection without an answer). Every
 * request is recorded as `METHOD path` (with its body in `bodies`), and every connection counted.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send no `Date` header (node:http sends one by default). */
  noDate?: boolean;
}

export interface LoopbackServer {
  readonly url: string;
  readonly requests: string[];
  /** The body of each request, in the order of `requests`. */
  readonly bodies: string[];
  /** The connections accepted so far. */
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function loopbackServer(
  handle: (req: IncomingMessage, url: string) => Answer | 'hang' | 'drop',
): Promise<LoopbackServer> {
  const requests: string[] = [];
  const bodies: string[] = [];
  let connections = 0;
  let base = '';
  const srv: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString());
      const answer = handle(req, base);
      if (answer === 'hang') return;
      if (answer === 'drop') {
        req.socket.destroy();
        return;
      }
      res.sendDate = answer.noDate !== true;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  srv.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    bodies,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

/** A JSON answer. */
export function json(value: unknown, status = 200): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

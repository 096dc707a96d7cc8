/**
 * A minimal HTTP client for the bench's own set-up requests (minting tokens, seeding sessions):
 * `node:http` with a keep-alive agent, the whole body read as text.
 *
 * @module
 */
import http, { type IncomingHttpHeaders } from 'node:http';

/** Set-up requests share a few keep-alive connections. */
export const setupAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** A response, its body as text. */
export interface TextResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Send one request and read the answer. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: setupAgent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

/** The `name=value` part of the first `Set-Cookie` of a response, or throw. */
export function cookieOf(response: TextResponse): string {
  const cookie = response.headers['set-cookie']?.[0]?.split(';')[0];
  if (!cookie) throw new Error(`expected a Set-Cookie header (HTTP ${response.status})`);
  return cookie;
}

/** Run `task(i)` for i in [0, count) with at most `concurrency` at a time; results in order. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

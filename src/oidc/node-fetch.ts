/**
 * A small Fetch-compatible function on `node:https` / `node:http` with a keep-alive agent, given to
 * openid-client as its `customFetch` for BindID's discovery, token and JWKS requests only.
 *
 * Why: Node's `fetch` (undici) costs about 1.2 ms of CPU per token request where `node:https` costs
 * about 0.14 ms (BENCHMARKS.md, signin profile). It keeps what openid-client relies on from `fetch`:
 *
 * - redirects are never followed (openid-client asks for `redirect: 'manual'`): a 3xx is answered
 *   as it is, and the caller refuses it;
 * - openid-client's timeout (`signal`): an aborted request rejects with the signal's reason (a
 *   `TimeoutError`), as `fetch` does;
 * - a network failure rejects with `TypeError('fetch failed')` whose `cause` is the socket error, as
 *   `fetch` does, so that the callers' checks ({@link isUnreachable}) map it to
 *   `ERR_BINDID_UNAVAILABLE`;
 * - TLS certificates are verified by Node's defaults (its CA store, `NODE_EXTRA_CA_CERTS`).
 *
 * And adds a bound: a body over {@link MAX_RESPONSE_BYTES} is refused (`ResponseTooLargeError`, not
 * a network failure). Nothing of the request (client secret, code, tokens) goes into an error.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import type { CustomFetch, CustomFetchOptions } from 'openid-client';

/** Largest response body read from BindID (discovery, JWKS and token answers are a few KiB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Statuses whose response has no body in the Fetch API. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** The agents of one client: kept-alive connections to BindID, reused across sign-ins. */
export interface NodeFetchAgents {
  http: http.Agent;
  https: https.Agent;
}

/** New keep-alive agents (idle sockets do not keep the process alive). */
export function keepAliveAgents(): NodeFetchAgents {
  return { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
}

/** A Fetch-compatible function for openid-client over `agents`. */
export function nodeFetch(agents: NodeFetchAgents): CustomFetch {
  return (url, options) => send(url, options, agents);
}

function send(url: string, options: CustomFetchOptions, agents: NodeFetchAgents): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const { signal } = options;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let target: URL;
    let body: Buffer | string | undefined;
    try {
      target = new URL(url);
      if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new TypeError('unsupported protocol');
      body = requestBody(options.body);
    } catch (err) {
      reject(new TypeError('fetch failed', { cause: err }));
      return;
    }
    const secure = target.protocol === 'https:';
    const headers: Record<string, string | number> = { ...options.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    };
    const onAbort = () => fail(signal?.reason);
    const req = (secure ? https : http).request(
      target,
      { method: options.method, headers, agent: secure ? agents.https : agents.http },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            const err = new Error(`the response body is larger than ${MAX_RESPONSE_BYTES} bytes`);
            err.name = 'ResponseTooLargeError';
            fail(err);
            return;
          }
          chunks.push(chunk);
        });
        res.once('error', (err) => fail(new TypeError('fetch failed', { cause: err })));
        res.once('end', () => {
          if (settled) return;
          settled = true;
          signal?.removeEventListener('abort', onAbort);
          const status = res.statusCode ?? 0;
          try {
            resolve(new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? '', headers: headersOf(res.rawHeaders) }));
          } catch (err) {
            reject(new TypeError('fetch failed', { cause: err }));
          }
        });
      },
    );
    req.once('error', (err) => fail(new TypeError('fetch failed', { cause: err })));
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => signal?.removeEventListener('abort', onAbort));
    req.end(body);
  });
}

/** The request body as Node sends it (openid-client sends a form, or nothing). */
function requestBody(body: CustomFetchOptions['body']): Buffer | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported request body');
}

/** Fetch `Headers` from Node's raw header list (repeated headers kept). */
function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

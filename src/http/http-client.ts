import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { logger } from '../internal/log.js';
import { proxyFor } from './proxy-for.js';

const log = logger('http');

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | undefined;
  /** The deadline of the whole request, answer body included. */
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

/** An answer, as soon as its status line and headers arrived. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** Read as it arrives (awaited or not); rejects when the deadline passes or the connection breaks before its end. */
  readonly body: Promise<HttpBody>;
}

export interface HttpBody {
  readonly bytes: Buffer;
  /** The body was (or announced to be) longer than `maxBytes`: reading stopped at the bound. */
  readonly truncated: boolean;
}

/**
 * Every request express-bindid makes goes through it. Per request: one deadline for all of it (the caller's `signal`), so a body
 * still trickling in stops too; the answer body read up to `maxBytes`, never further (then `truncated`, connection closed); no
 * redirect followed; TLS verified by Node's defaults; the environment's egress proxy ({@link proxyFor}): an https target through a
 * CONNECT tunnel, so the proxy sees only host and port (a refused tunnel is `ERR_PROXY_REFUSED`, never taken for the target's answer).
 * A failure rejects with Node's own error, which names no header and no body: nothing of the request (secret, token, HMAC) reaches
 * an error; the proxy's credentials go in a header, never in a logged URL. Keep-alive agents until {@link HttpClient.close}: one per client.
 */
export class HttpClient {
  readonly #maxSockets: number;
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  /** One tunnelling agent per proxy (with its credentials). */
  readonly #tunnels = new Map<string, HttpsProxyAgent<string>>();

  /** `maxSockets`: most connections per host (default: no limit). */
  constructor({ maxSockets = Number.POSITIVE_INFINITY }: { readonly maxSockets?: number } = {}) {
    this.#maxSockets = maxSockets;
    this.#http = new http.Agent({ keepAlive: true, maxSockets: this.#maxSockets });
    this.#https = new https.Agent({ keepAlive: true, maxSockets: this.#maxSockets });
  }

  /** Resolves the answer (any status) once its head arrived. */
  request(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const { signal } = request;
      if (signal.aborted) return reject(signal.reason);
      const { target, options } = this.#prepare(request);
      // Before the head, a failure rejects the request; after it, the body (`failBody`).
      let failBody: ((err: unknown) => void) | undefined;
      let done = false;
      const fail = (err: unknown) => {
        if (done) return;
        req.destroy();
        if (failBody) failBody(err);
        else reject(err);
        finish();
      };
      const finish = () => {
        done = true;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => fail(signal.reason);
      const req = (target.protocol === 'https:' ? https : http).request(target, options, (res) => {
        const body = new Promise<HttpBody>((resolveBody, rejectBody) => {
          failBody = rejectBody;
          readBody(res, request.maxBytes, fail, (read) => {
            if (read.truncated) req.destroy(); // the rest is never read: the connection cannot be reused
            if (!done) resolveBody(read);
            finish();
          });
        });
        body.catch(() => undefined); // a caller that reads only the head leaves no unhandled rejection
        try {
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: headersOf(res.rawHeaders), body });
        } catch (err) {
          fail(err); // a header the Fetch API refuses
          reject(err);
        }
      });
      req.once('error', fail);
      req.once('proxyConnect', ({ statusCode }: { statusCode: number }) => {
        if (statusCode !== 200) fail(Object.assign(new Error(`the egress proxy refused the tunnel (HTTP ${statusCode})`), { code: 'ERR_PROXY_REFUSED' }));
      });
      signal.addEventListener('abort', onAbort, { once: true });
      req.end(request.body);
    });
  }

  /** Close every kept-alive connection, proxy tunnels included. */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
    for (const agent of this.#tunnels.values()) agent.destroy();
    this.#tunnels.clear();
  }

  /** Directly, through a CONNECT tunnel (https target), or to the proxy in absolute form (http target). */
  #prepare(request: HttpRequest): { target: URL; options: https.RequestOptions } {
    const url = new URL(request.url);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('only http: and https: URLs are requested');
    const headers: Record<string, string | number> = { ...request.headers };
    const secure = url.protocol === 'https:';
    const proxy = proxyFor(url);
    let target = url;
    let route: https.RequestOptions;
    if (proxy === undefined) route = { agent: secure ? this.#https : this.#http };
    else if (secure) {
      // The certificate checked against the URL's host: `https-proxy-agent` drops an IP address's.
      const host = url.hostname.replace(/^\[|\]$/g, '');
      route = { agent: this.#tunnel(proxy), checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert) };
    } else {
      const auth = proxyAuthorization(proxy);
      Object.assign(headers, { host: url.host }, auth ? { 'proxy-authorization': auth } : {});
      target = new URL(proxy.origin);
      route = { agent: proxy.protocol === 'https:' ? this.#https : this.#http, path: url.href };
    }
    if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
    return { target, options: { method: request.method, headers, ...route } };
  }

  /** Its URL (as `https-proxy-agent` logs it) holds no credentials. */
  #tunnel(proxy: URL): HttpsProxyAgent<string> {
    let agent = this.#tunnels.get(proxy.href);
    if (agent === undefined) {
      const auth = proxyAuthorization(proxy);
      log('https requests go through the proxy %s (CONNECT)', proxy.origin);
      agent = new HttpsProxyAgent(proxy.origin, {
        keepAlive: true,
        maxSockets: this.#maxSockets,
        ...(auth ? { headers: { 'Proxy-Authorization': auth } } : {}),
      });
      this.#tunnels.set(proxy.href, agent);
    }
    return agent;
  }
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === '' && proxy.password === '') return undefined;
  const pair = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

/** Call `done` once: at the body's end, or `truncated` as soon as it passes (or announces to pass) `maxBytes`. */
function readBody(res: http.IncomingMessage, maxBytes: number, fail: (err: unknown) => void, done: (body: HttpBody) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (bytes: Buffer, truncated: boolean) => {
    if (finished) return;
    finished = true;
    done({ bytes, truncated });
  };
  res.once('error', fail);
  res.once('close', () => {
    if (!finished && !res.complete) fail(Object.assign(new Error('the connection closed before the answer ended'), { code: 'ECONNRESET' }));
  });
  if (Number(res.headers['content-length'] ?? 0) > maxBytes) {
    finish(Buffer.alloc(0), true);
    return;
  }
  res.on('data', (chunk: Buffer) => {
    if (finished) return;
    const room = maxBytes - size;
    size += chunk.length;
    if (size <= maxBytes) chunks.push(chunk);
    else finish(Buffer.concat([...chunks, chunk.subarray(0, room)]), true);
  });
  res.once('end', () => finish(Buffer.concat(chunks), false));
}

/** Repeated headers kept. */
function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}

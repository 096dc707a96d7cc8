/**
 * Record every outbound HTTP request the process makes while a test runs (checklist H 68): the
 * `node:http`/`node:https` client requests (the library's HTTP client, src/http: discovery, JWKS and
 * token through openid-client's customFetch, and session feedback; supertest: the browser side) and
 * any `fetch` call. Each record keeps the destination origin, path, headers and body as text, so a
 * test can check where a secret went without printing it (use {@link hostsCarrying}).
 *
 * ```ts
 * const out = recordOutbound();
 * try { ...run a flow... } finally { out.stop(); }
 * expect(hostsCarrying(out.requests, token)).toEqual([`${apiOrigin} /session-feedback`]);
 * ```
 *
 * It also keeps the access tokens the token endpoint issued (`issuedTokens`), read from a clone of
 * the `fetch` response or alongside the `node:http` one (the library's token requests go over
 * `node:https`), so a test knows what to look for even when the token never reaches the session.
 *
 * @module
 */
import http from 'node:http';

/** One outbound request. */
export interface OutboundRequest {
  /** `fetch` or `http`. */
  via: 'fetch' | 'http';
  /** `http://127.0.0.1:40123`. */
  origin: string;
  /** Path and query. */
  path: string;
  /** Every header as `name: value` lines (lower-case names). */
  headers: string;
  /** The body as text (empty when none). */
  body: string;
}

/** Start recording; call `stop()` (in a `finally`) to restore `fetch` and `http.ClientRequest`. */
export function recordOutbound(): { requests: OutboundRequest[]; issuedTokens: string[]; stop: () => void } {
  const requests: OutboundRequest[] = [];
  const issuedTokens: string[] = [];

  const originalFetch = globalThis.fetch;
  globalThis.fetch = async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    requests.push({
      via: 'fetch',
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      headers: [...headers].map(([name, value]) => `${name}: ${value}`).join('\n'),
      body: bodyText(init?.body),
    });
    const response = await originalFetch(input, init);
    if (response.ok && (response.headers.get('content-type') ?? '').includes('json')) {
      try {
        const json = (await response.clone().json()) as { access_token?: unknown };
        if (typeof json.access_token === 'string') issuedTokens.push(json.access_token);
      } catch {
        // Not JSON after all: nothing to note.
      }
    }
    return response;
  };

  const proto = http.ClientRequest.prototype;
  const originalWrite = proto.write;
  const originalEnd = proto.end;
  const bodies = new WeakMap<http.ClientRequest, string[]>();
  const note = (req: http.ClientRequest, chunk: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    const list = bodies.get(req) ?? [];
    list.push(Buffer.isBuffer(chunk) ? chunk.toString('latin1') : String(chunk));
    bodies.set(req, list);
  };
  proto.write = function write(this: http.ClientRequest, chunk: unknown, ...rest: unknown[]) {
    note(this, chunk);
    return (originalWrite as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof proto.write;
  proto.end = function end(this: http.ClientRequest, chunk?: unknown, ...rest: unknown[]) {
    note(this, chunk);
    const headers = this.getHeaders();
    requests.push({
      via: 'http',
      origin: `${this.protocol}//${String(headers.host ?? this.host)}`,
      path: this.path,
      headers: Object.entries(headers)
        .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`)
        .join('\n'),
      body: (bodies.get(this) ?? []).join(''),
    });
    // The token endpoint's answer over node:http (openid-client's customFetch): note its access token.
    // (Only when the caller reads the response: a listener of ours must not stop Node from dumping it.)
    if (this.listenerCount('response') > 0) this.once('response', (res: http.IncomingMessage) => {
      if ((res.statusCode ?? 0) >= 300 || !(res.headers['content-type'] ?? '').includes('json')) return;
      watchBody(res, (text) => noteToken(text));
    });
    return (originalEnd as (...a: unknown[]) => http.ClientRequest).call(this, chunk, ...rest);
  } as typeof proto.end;
  const noteToken = (text: string) => {
    try {
      const json = JSON.parse(text) as { access_token?: unknown };
      if (typeof json.access_token === 'string') issuedTokens.push(json.access_token);
    } catch {
      // Not JSON after all: nothing to note.
    }
  };

  return {
    requests,
    issuedTokens,
    stop: () => {
      globalThis.fetch = originalFetch;
      proto.write = originalWrite;
      proto.end = originalEnd;
    },
  };
}

/**
 * Call `onEnd` with the body of `res` as its reader reads it, without reading it ourselves: a
 * `data` listener of ours would start the flow before the reader listens (a reader may take
 * the stream a few promise jobs later), and the reader would miss the body and its end.
 */
function watchBody(res: http.IncomingMessage, onEnd: (text: string) => void): void {
  const chunks: Buffer[] = [];
  const emit = res.emit;
  res.emit = function watched(this: http.IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
    const chunk = args[0];
    if (event === 'data') chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    else if (event === 'end') onEnd(Buffer.concat(chunks).toString('utf8'));
    return (emit as (this: http.IncomingMessage, event: string | symbol, ...args: unknown[]) => boolean).call(this, event, ...args);
  } as typeof res.emit;
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString('latin1');
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  return `[${typeof body}]`;
}

/**
 * Where `secret` was sent: `"<origin> <path without query>"` for each request whose path, headers or
 * body contain it as is, URL-encoded or base64-encoded (pass other forms, such as the base64 of
 * `id:secret`, as a secret of their own). Never the secret itself.
 */
export function hostsCarrying(requests: readonly OutboundRequest[], secret: string): string[] {
  const forms = [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')];
  return requests
    .filter((r) => forms.some((f) => r.headers.includes(f) || r.body.includes(f) || r.path.includes(f)))
    .map((r) => `${r.origin} ${r.path.split('?')[0]}`);
}

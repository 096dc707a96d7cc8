/**
 * The library's HTTP seam (`HttpClient`, src/http/http-client.ts) on its own, one guarantee each:
 * the deadline cuts a body that still trickles in, the answer body is bounded while it is read, no
 * redirect is followed, TLS is verified (directly and through a CONNECT tunnel), connections are
 * kept alive, the egress proxy is used with its credentials on the CONNECT only, and no error holds
 * a header, a body or the proxy's password.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HttpClient, type HttpRequest } from '../../src/http/http-client.js';
import { ConnectProxy } from '../helpers/connect-proxy.js';
import { closedPort, FakeBindId, reply } from '../helpers/fake-bindid.js';
import { captureDebug, leaksIn } from '../helpers/leaks.js';
import { withProxyEnv } from '../helpers/proxy-env.js';

const fixtures = path.join(__dirname, '..', 'fixtures');
const SECRET = 'seam-secret-marker';

let client: HttpClient;
let bindid: FakeBindId;
beforeEach(async () => {
  client = new HttpClient();
  bindid = await FakeBindId.start();
});
afterEach(async () => {
  client.close();
  await bindid.close();
});

/** A request to `url` with a secret in a header and in the body, a deadline that never fires by itself. */
function post(url: string, patch: Partial<HttpRequest> = {}): HttpRequest {
  return { method: 'POST', url, headers: { authorization: `Bearer ${SECRET}` }, body: `{"secret":"${SECRET}"}`, signal: new AbortController().signal, maxBytes: 1024, ...patch };
}

/** Where the request's secret shows in `err` (message, stack, JSON, inspect, causes). */
function leaks(err: unknown, extra: Record<string, string> = {}): string[] {
  return leaksIn(err, [], { secret: SECRET, ...extra });
}

/** A loopback server that answers the head at once, then one body byte every 10 ms; `wrote(n)` resolves after n bytes, `closed` when the client went away. */
async function trickling(): Promise<{ url: string; wrote: (n: number) => Promise<void>; closed: Promise<void>; close: () => Promise<void> }> {
  let written = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  let onClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    onClosed = resolve;
  });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const timer = setInterval(() => {
      res.write('x');
      written += 1;
      for (const w of waiters.filter((x) => x.n <= written)) w.resolve();
    }, 10);
    res.once('close', () => {
      clearInterval(timer);
      onClosed();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const wrote = (n: number) => new Promise<void>((resolve) => waiters.push({ n, resolve }));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return { url, wrote, closed, close };
}

describe('the deadline (an AbortSignal for the whole request)', () => {
  it('J80 J81 the deadline cuts a body that still trickles in: the body rejects with the signal\'s reason and the connection is closed', async () => {
    const server = await trickling();
    try {
      const deadline = new AbortController();
      const res = await client.request(post(server.url, { signal: deadline.signal }));
      expect(res.status).toBe(200);
      await server.wrote(3); // bytes keep coming: an inactivity timer would never fire
      deadline.abort(new DOMException('deadline', 'TimeoutError'));
      await expect(res.body).rejects.toMatchObject({ name: 'TimeoutError' });
      await server.closed;
    } finally {
      await server.close();
    }
  });

  it('before the head: the request rejects with the reason; an aborted signal sends nothing', async () => {
    bindid.setDefault(reply.hang());
    const deadline = new AbortController();
    const pending = client.request(post(bindid.url, { signal: deadline.signal }));
    await bindid.waitForRequests(1);
    deadline.abort(new DOMException('deadline', 'TimeoutError'));
    await expect(pending).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(client.request(post(bindid.url, { signal: AbortSignal.abort() }))).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('the answer body bound', () => {
  it('J93 the body bound stops reading past maxBytes: truncated, the bytes up to the bound, the connection closed', async () => {
    bindid.setDefault(reply.huge(200, 50 * 1024 * 1024, { contentLength: false }));
    const res = await client.request(post(bindid.url, { maxBytes: 1000 }));
    const body = await res.body;
    expect(body.truncated).toBe(true);
    expect(body.bytes.length).toBe(1000);
    expect(bindid.requests[0]?.replyBytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('a Content-Length over the bound is truncated without reading; a body at the bound is whole', async () => {
    bindid.script(reply.huge(200, 5000), reply.status(200, { body: 'y'.repeat(1024) }));
    expect(await (await client.request(post(bindid.url))).body).toEqual({ bytes: Buffer.alloc(0), truncated: true });
    const whole = await (await client.request(post(bindid.url))).body;
    expect(whole).toMatchObject({ truncated: false });
    expect(whole.bytes.toString()).toBe('y'.repeat(1024));
  });
});

describe('redirects', () => {
  it.each([301, 302, 307, 308])('J91 a %d is the answer, with its Location; the other host receives nothing', async (status) => {
    const other = await FakeBindId.start();
    try {
      bindid.setDefault(reply.redirect(status, `${other.url}/stolen`));
      const res = await client.request(post(`${bindid.url}/session-feedback`));
      expect(res.status).toBe(status);
      expect(res.headers.get('location')).toBe(`${other.url}/stolen`);
      expect(other.requests).toEqual([]);
      expect(other.connections).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('TLS is verified', () => {
  let server: https.Server;
  let url: string;
  beforeAll(async () => {
    const tls = { key: readFileSync(path.join(fixtures, 'self-signed-key.pem')), cert: readFileSync(path.join(fixtures, 'self-signed-cert.pem')) };
    server = https.createServer(tls, (_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a certificate the process does not trust is refused (no insecure fallback)', async () => {
    await expect(client.request(post(url))).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('N176 through a CONNECT tunnel too: the tunnel is made, then the certificate is refused', async () => {
    const proxy = await ConnectProxy.start();
    try {
      const err = await withProxyEnv({ HTTPS_PROXY: proxy.url }, () => client.request(post(url)).catch((e: unknown) => e));
      expect(err).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(proxy.tunnels.map((t) => t.target)).toEqual([new URL(url).host]);
    } finally {
      await proxy.close();
    }
  });
});

describe('keep-alive', () => {
  it('sequential requests share one connection; close() ends it', async () => {
    for (let i = 0; i < 3; i++) await (await client.request(post(bindid.url))).body;
    expect(bindid.connections).toBe(1);
    expect(new Set(bindid.requests.map((r) => r.connection))).toEqual(new Set([0]));
    client.close();
    await (await new HttpClient().request(post(bindid.url))).body;
    expect(bindid.connections).toBe(2);
  });
});

describe('the egress proxy', () => {
  let proxy: ConnectProxy;
  beforeEach(async () => {
    proxy = await ConnectProxy.start();
  });
  afterEach(() => proxy.close());

  it('N176 its credentials go on the CONNECT only (percent-decoded), and no log line shows them', async () => {
    const target = `https://127.0.0.1:${await closedPort()}/`;
    const proxyUrl = proxy.url.replace('http://', 'http://svc:p%40ss@');
    const debug = captureDebug('*');
    try {
      await withProxyEnv({ HTTPS_PROXY: proxyUrl }, () => client.request(post(target)).catch(() => undefined));
    } finally {
      debug.stop();
    }
    expect(proxy.tunnels.map((t) => t.proxyAuthorization)).toEqual([`Basic ${Buffer.from('svc:p@ss').toString('base64')}`]);
    expect(debug.lines.some((l) => l.includes(new URL(proxy.url).host))).toBe(true);
    expect(leaksIn(undefined, debug.lines, { 'proxy password': 'p%40ss', 'decoded proxy password': 'p@ss' })).toEqual([]);
  });

  it('N176 a tunnel the proxy refuses (407) is the failure ERR_PROXY_REFUSED, not the proxy\'s answer taken for the target\'s', async () => {
    proxy.refuseWith(407);
    const err = await withProxyEnv({ HTTPS_PROXY: proxy.url }, () => client.request(post('https://127.0.0.1:1/')).catch((e: unknown) => e));
    expect(err).toMatchObject({ code: 'ERR_PROXY_REFUSED' });
    expect((err as Error).message).toContain('407');
  });

  it('N176 an http target goes to the proxy in absolute form, with Proxy-Authorization for a proxy with credentials', async () => {
    const proxyUrl = proxy.url.replace('http://', 'http://svc:pw@');
    const res = await withProxyEnv({ http_proxy: proxyUrl }, () => client.request(post(`${bindid.url}/x?y=1`)));
    await res.body;
    expect(proxy.forwarded.map((f) => [f.method, f.url, f.headers.host, f.headers['proxy-authorization']])).toEqual([
      ['POST', `${bindid.url}/x?y=1`, new URL(bindid.url).host, `Basic ${Buffer.from('svc:pw').toString('base64')}`],
    ]);
    expect(bindid.requests.map((r) => [r.path, r.headers['proxy-authorization']])).toEqual([['/x?y=1', undefined]]);
  });
});

describe('no request data in an error', () => {
  it.each<[string, () => Promise<Record<string, string>>]>([
    ['a refused connection', async () => ({ url: `http://127.0.0.1:${await closedPort()}/` })],
    [
      'a reset after the request arrived',
      async () => {
        bindid.setDefault(reply.drop());
        return { url: bindid.url };
      },
    ],
    ['a header Node refuses to send', async () => ({ url: bindid.url, header: `${SECRET}\r\nX-Injected: 1` })],
    ['an egress proxy value that is no http(s) URL, with a password', async () => ({ url: bindid.url, HTTP_PROXY: 'socks5://u:proxy-pw@127.0.0.1:1' })],
    ['an egress proxy that refuses the connection, with a password', async () => ({ url: bindid.url, HTTP_PROXY: `http://u:proxy-pw@127.0.0.1:${await closedPort()}` })],
  ])('%s', async (_what, arrange) => {
    const { url, header, ...env } = await arrange();
    const request = post(url as string, header ? { headers: { authorization: header } } : {});
    const err = await withProxyEnv(env, () => client.request(request).then(async (res) => res.body)).catch((e: unknown) => e);
    expect(err).toMatchObject({ message: expect.any(String) }); // it failed (Node's errors are of another realm than Jest's)
    expect(leaks(err, { 'proxy password': 'proxy-pw' })).toEqual([]);
  });
});

/**
 * BindID's discovery, token and JWKS requests go through the library's HTTP seam (src/http/, on
 * `node:https`/`node:http` with a keep-alive agent) as openid-client's `customFetch`
 * (src/oidc/oidc-fetch.ts) instead of `fetch`: the callback keeps the error mapping of `fetch`
 * (unreachable or slow BindID is the retryable ERR_BINDID_UNAVAILABLE, 503), never follows a
 * redirect, bounds the response, and reuses its connection across sign-ins.
 */
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Emulator, createEmulator } from '../../src/emulator/index.js';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import type { BindIdOidcClient, OidcSettings } from '../../src/oidc/bindid-oidc-client.js';
import { OIDC_REDIRECT, oidcClient } from '../helpers/oidc-client.js';
import { HttpClient } from '../../src/http/http-client.js';
import { MAX_RESPONSE_BYTES, oidcFetch } from '../../src/oidc/oidc-fetch.js';

const REDIRECT = OIDC_REDIRECT;

let emulator: Emulator;
const servers: http.Server[] = [];

beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [REDIRECT] });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(() => emulator.clearFaults());
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A loopback HTTP server answering with `handler`; resolves its origin. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function client(settings: Partial<OidcSettings> = {}): BindIdOidcClient {
  return oidcClient(emulator, settings);
}

/** The emulator's endpoints, with `token_endpoint` replaced. */
function metadataWithToken(tokenEndpoint: string) {
  return {
    issuer: emulator.issuer,
    authorization_endpoint: `${emulator.issuer}/authorize`,
    token_endpoint: tokenEndpoint,
    jwks_uri: `${emulator.issuer}/jwks`,
  };
}

/** A whole sign-in through the emulator's scripted shortcut; resolves the error, or undefined. */
async function signIn(c: BindIdOidcClient): Promise<unknown> {
  const { url, transaction } = await c.authorizationRequest('/', Date.now());
  const res = await fetch(`${url}&identity=new`, { redirect: 'manual' });
  const callback = new URL(res.headers.get('location') ?? '');
  return c.callback(callback.search.slice(1), transaction).then(
    () => undefined,
    (err: unknown) => err,
  );
}

function expectUnavailable(err: unknown): void {
  expect(isBindIdError(err, ErrorCode.UNAVAILABLE)).toBe(true);
  expect(err).toMatchObject({ status: 503, retryable: true });
  const shown = JSON.stringify(err) + String((err as Error).message) + String(((err as Error).cause as Error | undefined)?.message);
  expect(shown).not.toContain(emulator.clientSecret);
}

describe('BindID requests over node:http with a keep-alive agent', () => {
  it('discovery, token and JWKS requests go through node:http, two sign-ins over one kept-alive connection', async () => {
    const finished: string[] = [];
    const onFinish = (message: unknown) => {
      const { request } = message as { request: http.ClientRequest };
      finished.push(`${request.path.split('?')[0]}${request.reusedSocket ? ' (kept-alive connection)' : ''}`);
    };
    diagnostics.subscribe('http.client.response.finish', onFinish);
    try {
      const c = client();
      expect(await signIn(c)).toBeUndefined();
      expect(await signIn(c)).toBeUndefined();
    } finally {
      diagnostics.unsubscribe('http.client.response.finish', onFinish);
    }
    // The JWKS is cached by openid-client; one connection serves everything after discovery.
    expect(finished).toEqual([
      '/.well-known/openid-configuration',
      '/token (kept-alive connection)',
      '/jwks (kept-alive connection)',
      '/token (kept-alive connection)',
    ]);
  });

  it('N175 an unreachable token endpoint is ERR_BINDID_UNAVAILABLE (503), with no secret in the error', async () => {
    const port = await closedPort();
    expectUnavailable(await signIn(client({ metadata: metadataWithToken(`http://127.0.0.1:${port}/token`) })));
  });

  it('a token endpoint that does not answer in time is ERR_BINDID_UNAVAILABLE (503) after the timeout', async () => {
    // openid-client's timeout (AbortSignal.timeout, 1 s) is Node's own timer: how long this takes is measured in timeouts.timing.ts.
    emulator.setFault('token', { hang: true });
    expectUnavailable(await signIn(client({ timeoutMs: 1000 })));
  });

  it('N175 a redirect from the token endpoint is not followed, and the sign-in fails', async () => {
    let followed = 0;
    const elsewhere = await serve((_req, res) => {
      followed++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const token = await serve((_req, res) => {
      res.writeHead(307, { location: `${elsewhere}/token` }).end();
    });
    const err = await signIn(client({ metadata: metadataWithToken(`${token}/token`) }));
    expect(isBindIdError(err)).toBe(true);
    expect(followed).toBe(0);
  });
});

describe('oidcFetch', () => {
  const http = new HttpClient();
  afterAll(() => http.close());
  const send = (url: string, init: Partial<Parameters<ReturnType<typeof oidcFetch>>[1]> = {}) =>
    oidcFetch(http)(url, { method: 'GET', headers: {}, redirect: 'manual', body: undefined, ...init });

  it('sends the form body and answers status, headers and body as a Fetch Response', async () => {
    const origin = await serve((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        res.writeHead(201, [
          ['content-type', 'application/json'],
          ['x-seen', `${req.method} ${req.headers['content-type']} ${body}`],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
        ]);
        res.end('{"ok":true}');
      });
    });
    const res = await send(`${origin}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ a: 'b c' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-seen')).toBe('POST application/x-www-form-urlencoded a=b+c');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(await res.json()).toEqual({ ok: true });
  });

  it(`N175 refuses a response body over ${MAX_RESPONSE_BYTES} bytes (not a network failure)`, async () => {
    const origin = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 0x20));
    });
    await expect(send(`${origin}/big`)).rejects.toMatchObject({ name: 'ResponseTooLargeError' });
    const exact = await serve((_req, res) => {
      res.end(Buffer.alloc(MAX_RESPONSE_BYTES, 0x20));
    });
    expect((await (await send(`${exact}/ok`)).arrayBuffer()).byteLength).toBe(MAX_RESPONSE_BYTES);
  });

  it('rejects like fetch: a network failure as TypeError("fetch failed"), an abort with the signal\'s reason', async () => {
    const port = await closedPort();
    await expect(send(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
    const origin = await serve(() => undefined); // never answers
    await expect(send(`${origin}/slow`, { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

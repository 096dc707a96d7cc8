/**
 * DNS rebinding: a web page on evil.example whose name resolves to 127.0.0.1 must not drive the
 * local emulator. Every request whose `Host` does not name the emulator (a loopback name, or the
 * `host` it was started with; any port) is refused with 421 and a short plain body before any
 * endpoint, fault or admin route runs (src/emulator/host-check.ts).
 *
 * The refused requests below reach the emulator as a browser on evil.example would send them: to
 * `http://evil.example:<port>`, the name resolved to 127.0.0.1 by the request's own `lookup`.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Emulator } from '../../src/emulator/index.js';
import { isOwnHost } from '../../src/emulator/host-check.js';
import { authorizationHeader } from '../../src/feedback/signing.js';
import { authorizeCode, authorizeUrl, exchangeCode, feedbackBody, login, startEmulator } from './helpers.js';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Every name resolves to 127.0.0.1, as the attacker's DNS answers for evil.example. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all === true) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** One request to `url` (its name resolved to 127.0.0.1); `host` overrides the `Host` header. */
function send(url: string, request: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string; tls?: Buffer } = {}): Promise<Answer> {
  const options: https.RequestOptions = { method: request.method ?? 'GET', headers: request.headers ?? {}, lookup: toLoopback, agent: false };
  const tlsOptions = request.tls === undefined ? {} : { ca: request.tls, checkServerIdentity: () => undefined };
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? https : http).request(url, { ...options, ...tlsOptions }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(request.body);
  });
}

/** `http://evil.example:<port><path>` for one side of the emulator (`base`: its issuer or API URL). */
function evil(base: string, pathAndQuery: string): string {
  const url = new URL(base);
  return `${url.protocol}//evil.example:${url.port}${pathAndQuery}`;
}

/** What the emulator answers to `request`, written as it is on a raw connection to 127.0.0.1:`port`. */
function rawAnswer(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('end', () => resolve(text)).on('error', reject);
  });
}

function expectRefused(answer: Answer): void {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({ status: 421, type: 'text/plain; charset=utf-8' });
  expect(answer.body).toBe('Misdirected request: the Host header does not name this BindID emulator.\n');
}

describe('the emulator checks Host (DNS rebinding)', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.close());
  afterEach(() => {
    emu.clearFaults();
    emu.clearReports();
  });

  it('N192 a page on evil.example (resolving to 127.0.0.1) gets 421 at discovery, /jwks and /authorize: no sign-in happens', async () => {
    for (const target of ['/.well-known/openid-configuration', '/jwks']) expectRefused(await send(evil(emu.issuer, target)));
    const authorize = authorizeUrl(emu, { identity: 'alice' });
    const answer = await send(evil(emu.issuer, `${authorize.pathname}${authorize.search}`));
    expectRefused(answer);
    expect(answer.headers.location).toBeUndefined(); // no code issued
  });

  it('N192 a POST /token from evil.example gets 421 and does not redeem the code: the app can still exchange it', async () => {
    const code = await authorizeCode(emu);
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:3000/callback', client_id: emu.clientId, client_secret: emu.clientSecret });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expectRefused(await send(evil(emu.issuer, '/token'), { method: 'POST', headers, body: form.toString() }));
    expect((await exchangeCode(emu, code)).status).toBe(200); // codes are single use: the refused request never reached /token
  });

  it('N192 a signed report from evil.example gets 421: nothing recorded, no alias set', async () => {
    const { accessToken, claims } = await login(emu, 'bob');
    const headers = { 'content-type': 'application/json', authorization: authorizationHeader(emu.clientSecret, accessToken) };
    expectRefused(await send(evil(emu.apiUrl, '/session-feedback'), { method: 'POST', headers, body: feedbackBody(accessToken) }));
    expect(emu.reports()).toEqual([]);
    expect(emu.aliasOf(claims.sub as string)).toBeUndefined();
  });

  it('N192 refused before any fault or admin route: a one-time fault stays for the next real request, a fault posted from evil.example is not set', async () => {
    emu.setFault('discovery', { status: 503, times: 1 });
    expectRefused(await send(evil(emu.issuer, '/.well-known/openid-configuration')));
    expect((await send(`${emu.issuer}/.well-known/openid-configuration`)).status).toBe(503);
    const post = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ endpoint: 'jwks', fault: { status: 500 } }) };
    expectRefused(await send(evil(emu.issuer, '/__emulator/faults'), post));
    expectRefused(await send(evil(emu.apiUrl, '/__emulator/reports')));
    expect((await send(`${emu.issuer}/jwks`)).status).toBe(200);
  });

  it('N192 other Host forms are refused too: no port, upper case, names that merely contain a loopback name, an empty or missing Host (HTTP/1.0)', async () => {
    const { port } = new URL(emu.issuer);
    const discovery = `${emu.issuer}/.well-known/openid-configuration`;
    for (const host of ['evil.example', 'EVIL.example', `localhost.evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `evil-localhost:${port}`, `[::ffff:127.0.0.1]:${port}`, `0.0.0.0:${port}`]) {
      const answer = await send(discovery, { headers: { host } });
      expect({ host, status: answer.status }).toEqual({ host, status: 421 });
    }
    const empty = await rawAnswer(Number(port), 'GET /.well-known/openid-configuration HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n');
    const missing = await rawAnswer(Number(port), 'GET /.well-known/openid-configuration HTTP/1.0\r\n\r\n');
    expect([empty, missing].map((answer) => answer.slice(0, 13))).toEqual(['HTTP/1.1 421 ', 'HTTP/1.1 421 ']);
  });

  it("N192 the emulator's own names are accepted on both sides: its URLs' host, localhost, 127.x.x.x and [::1], in any case, with any port", async () => {
    const { port } = new URL(emu.issuer);
    for (const host of [new URL(emu.issuer).host, `localhost:${port}`, `LocalHost:${port}`, 'localhost', `127.0.0.2:${port}`, `[::1]:${port}`, '127.0.0.1:1']) {
      const answer = await send(`${emu.issuer}/.well-known/openid-configuration`, { headers: { host } });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
    expect((await send(`${emu.apiUrl}/__emulator/health`, { headers: { host: new URL(emu.apiUrl).host } })).status).toBe(200);
    expect((await send(`${emu.apiUrl}/__emulator/health`, { headers: { host: `localhost:${new URL(emu.apiUrl).port}` } })).status).toBe(200);
  });
});

describe('the Host check with other hosts and TLS', () => {
  it('N192 started with host localhost (its URLs say localhost) or another name: that name is accepted too, other names are not', async () => {
    const emu = await startEmulator({ host: 'localhost' });
    try {
      expect(emu.issuer).toMatch(/^http:\/\/localhost:\d+$/);
      expect((await send(`${emu.issuer}/.well-known/openid-configuration`)).status).toBe(200);
      expectRefused(await send(evil(emu.issuer, '/.well-known/openid-configuration')));
    } finally {
      await emu.close();
    }
    // A name the emulator was started with (a container's service name, say): its URLs carry it.
    expect(['bindid-emulator.test:9080', 'BINDID-EMULATOR.TEST', 'localhost:9080'].filter((host) => !isOwnHost(host, 'bindid-emulator.test'))).toEqual([]);
    expect(['evil.example:9080', 'bindid-emulator.test.evil.example', 'x.bindid-emulator.test'].filter((host) => isOwnHost(host, 'bindid-emulator.test'))).toEqual([]);
    expect([isOwnHost('[::1]:9', '::1'), isOwnHost('[0:0:0:0:0:0:0:1]:9', '::1'), isOwnHost('0.0.0.0:9', '0.0.0.0')]).toEqual([true, false, true]);
  });

  it('N192 over TLS (the tls option) the same: evil.example refused with 421, the issuer served', async () => {
    const fixtures = path.join(__dirname, '..', 'fixtures');
    const cert = readFileSync(path.join(fixtures, 'self-signed-cert.pem'));
    const emu = await startEmulator({ tls: { key: readFileSync(path.join(fixtures, 'self-signed-key.pem')), cert } });
    try {
      expectRefused(await send(evil(emu.issuer, '/.well-known/openid-configuration'), { tls: cert }));
      expectRefused(await send(evil(emu.apiUrl, '/session-feedback'), { method: 'POST', tls: cert, body: '{}' }));
      expect((await send(`${emu.issuer}/.well-known/openid-configuration`, { tls: cert })).status).toBe(200);
    } finally {
      await emu.close();
    }
  });
});

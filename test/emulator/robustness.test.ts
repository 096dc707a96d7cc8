/**
 * Bad input never crashes the emulator or leaks secrets; state stays bounded; close() ends every
 * connection; options are checked; the admin endpoints answer.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { format } from 'node:util';
import createDebug from 'debug';
import fc from 'fast-check';
import { ErrorCode } from '../../src/errors.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { BoundedMap, EmulatorState, RingBuffer } from '../../src/emulator/state.js';
import { authorizationHeader } from '../../src/feedback/signing.js';
import { httpTraffic, until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { feedbackBody, get, login, sendFeedback, startEmulator } from './helpers.js';

/** When true, the emulator's clock throws: every handler that reads it fails. */
let clockFails = false;
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    allowPostAuthorize: true,
    now: () => {
      if (clockFails) throw new Error('clock failure');
      return Date.now();
    },
  });
});
afterAll(() => emu.close());

/** A full login and an accepted report still work. */
async function expectStillWorking(): Promise<void> {
  const { accessToken } = await login(emu, 'new');
  const body = feedbackBody(accessToken, { alias: `alias-${randomBytes(6).toString('hex')}` });
  expect((await sendFeedback(emu, accessToken, { body })).status).toBe(200);
}

/** Send raw bytes over a fresh TCP connection; resolve with what came back before it closed. */
function rawRequest(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

describe('bad input never crashes the emulator', () => {
  const posts: [string, () => string][] = [
    ['/token', () => `${emu.issuer}/token`],
    ['/authorize', () => `${emu.issuer}/authorize`],
    ['/userinfo', () => `${emu.issuer}/userinfo`],
    ['/__emulator/faults', () => `${emu.issuer}/__emulator/faults`],
    ['/session-feedback', () => `${emu.apiUrl}/session-feedback`],
  ];

  it.each(posts)('garbage bytes to POST %s → a 4xx, then everything still works', async (_name, url) => {
    for (const contentType of ['application/json', 'application/x-www-form-urlencoded', 'text/plain']) {
      const res = await fetch(url(), {
        method: 'POST',
        headers: { 'content-type': contentType, authorization: 'BindIdBackend AccessToken \u00ff' },
        body: randomBytes(512),
      });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
    await expectStillWorking();
  });

  it.each(posts)('a 100 KiB body to POST %s → 413, then everything still works', async (_name, url) => {
    const res = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(100 * 1024)}"`,
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
    await expectStillWorking();
  });

  it('a 4 MiB chunked body → 413 (or the connection closed early), then everything still works', async () => {
    const status = await new Promise<number>((resolve) => {
      const req = http.request(`${emu.apiUrl}/session-feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(0));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      for (let i = 0; i < 64; i++) req.write(chunk);
      req.end();
    });
    expect([0, 413]).toContain(status);
    await expectStillWorking();
  });

  it('a declared Content-Length over 1 MiB → 413 at once, connection closed', async () => {
    const answer = await rawRequest(
      portOf(emu.apiUrl),
      'POST /session-feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n{',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    await expectStillWorking();
  });

  it('malformed HTTP and odd request lines do not crash it', async () => {
    const port = portOf(emu.issuer);
    expect(await rawRequest(port, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawRequest(port, 'GET /authorize?%E0%A4%A&client_id=%zz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(await rawRequest(port, `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(await rawRequest(port, 'GET /jwks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \u0001\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 [24]\d\d /,
    );
    await expectStillWorking();
  });

  it('unknown paths → 404 JSON; wrong methods → 405 with Allow', async () => {
    const missing = await get(`${emu.issuer}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
    expect((await get(`${emu.apiUrl}/authorize`)).status).toBe(404);
    const wrong = await fetch(`${emu.apiUrl}/session-feedback`, { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('property: any printable Authorization header and body → 4xx, never a crash, never recorded', async () => {
    const { accessToken } = await login(emu, 'bob');
    const printable = fc.string({ unit: fc.constantFrom(...'AB =;+/_-.~abcBindIdBackend AccessToken'.split('')), maxLength: 80 });
    await fc.assert(
      fc.asyncProperty(
        printable,
        fc.oneof(fc.string({ maxLength: 200 }), fc.constant(feedbackBody(accessToken)), fc.json()),
        async (header, body) => {
          emu.clearReports();
          const authorization = header.trim() === '' ? null : header.trim();
          const res = await sendFeedback(emu, accessToken, { authorization, body });
          await res.arrayBuffer();
          expect([400, 401, 413, 415]).toContain(res.status);
          if (authorization !== null && authorization.length > 20) {
            expect(JSON.stringify(emu.reports())).not.toContain(authorization);
          }
        },
      ),
      { numRuns: 60 },
    );
    await expectStillWorking();
  });

  it('a handler that throws → 500 JSON; the next request works', async () => {
    const { accessToken } = await login(emu);
    clockFails = true;
    const res = await sendFeedback(emu, accessToken).finally(() => {
      clockFails = false;
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: 'server_error',
      error_description: 'the emulator failed to handle the request',
    });
    await expectStillWorking();
  });
});

describe('logs', () => {
  it('never contain the client secret, a token, an HMAC or a code', async () => {
    const lines: string[] = [];
    const previousLog = createDebug.log;
    const previousNamespaces = createDebug.disable();
    createDebug.log = (...args: unknown[]) => {
      lines.push(format(...args));
    };
    createDebug.enable('express-bindid:*');
    try {
      const { accessToken } = await login(emu, 'alice');
      const code = new URL(
        (await get(`${emu.issuer}/authorize?client_id=${emu.clientId}&redirect_uri=http://localhost:3000/callback&response_type=code&scope=openid&identity=bob`)).headers.get('location') as string,
      ).searchParams.get('code') as string;
      await sendFeedback(emu, accessToken);
      await sendFeedback(emu, accessToken, { authorization: authorizationHeader('wrong', accessToken) });
      await sendFeedback(emu, accessToken, { body: '{' });
      expect(lines.length).toBeGreaterThan(0);
      const all = lines.join('\n');
      for (const secret of [emu.clientSecret, accessToken, code, authorizationHeader(emu.clientSecret, accessToken)]) {
        expect(all).not.toContain(secret);
      }
      expect(all).not.toContain(authorizationHeader('wrong', accessToken).split('; ')[1]);
    } finally {
      createDebug.disable();
      if (previousNamespaces) createDebug.enable(previousNamespaces);
      createDebug.log = previousLog;
    }
  });
});

describe('bounded state', () => {
  it('keeps only the last 1,000 reports', async () => {
    emu.clearReports();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const post = (n: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = http.request(`${emu.apiUrl}/session-feedback`, {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json' },
        });
        req.on('response', (res) => res.resume().on('end', resolve));
        req.on('error', reject);
        req.end(JSON.stringify({ subject_session_at: 'x', reports: [{ type: 'alias_deleted', time: n }] }));
      });
    await Promise.all(Array.from({ length: 1010 }, (_, n) => post(n)));
    agent.destroy();
    const reports = emu.reports();
    expect(reports).toHaveLength(1000);
    expect(reports.every((r) => r.status === 401 && r.headerForm === 'none')).toBe(true);
    const res = await get(`${emu.apiUrl}/__emulator/reports`);
    expect(((await res.json()) as unknown[]).length).toBe(1000);
  });

  it('BoundedMap evicts the oldest entries past its capacity', () => {
    const evicted: string[] = [];
    const map = new BoundedMap<string, number>(3, (key) => evicted.push(key));
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i);
    expect(map.size).toBe(3);
    expect(evicted).toEqual(['a', 'b']);
    expect(map.get('e')).toBe(4);
  });

  it('RingBuffer keeps the last items in order', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.size).toBe(3);
  });

  it('codes and access tokens stay at their caps; expired ones are swept', () => {
    const state = new EmulatorState([{ id: 'alice' }], { codes: 5, accessTokens: 5, newIdentities: 5, reports: 5 });
    const sub = state.subOf('alice') as string;
    const grant = { clientId: 'c', redirectUri: 'r', scope: 'openid', sub, authTime: 0, device: 'd', verified: [] };
    for (let i = 0; i < 20; i++) state.putCode(`code-${i}`, { ...grant, expiresAt: 1000 }, 0);
    expect(state.codeCount).toBe(5);
    expect(state.takeCode('code-0')).toBeUndefined();
    expect(state.takeCode('code-19')).toBeDefined();
    state.putCode('late', { ...grant, expiresAt: 5000 }, 2000);
    expect(state.codeCount).toBe(1);

    for (let i = 0; i < 20; i++) state.putSession(`at-${i}`, { sub, scope: 'openid', authTime: 0, device: 'd', verified: [], expiresAt: 1000 }, 0);
    expect(state.sessionCount).toBe(5);
    state.expireSessions();
    state.putSession('fresh', { sub, scope: 'openid', authTime: 0, device: 'd', verified: [], expiresAt: 5000 }, 0);
    expect(state.sessionCount).toBe(1);
  });

  it('new identities stay at their cap; an evicted one loses its alias (freeing it)', () => {
    const state = new EmulatorState([], { codes: 5, accessTokens: 5, newIdentities: 2, reports: 5 });
    const first = state.createIdentity();
    const user = state.user(first.sub);
    if (user === undefined) throw new Error('the identity just created is unknown');
    state.setAlias(user, 'alias-1');
    state.createIdentity();
    const third = state.createIdentity();
    expect(state.user(first.sub)).toBeUndefined();
    expect(state.subOf(first.id)).toBeUndefined();
    expect(state.aliasHeldByOther(third.sub, 'alias-1')).toBe(false);
  });
});

describe('options', () => {
  it.each<[string, EmulatorOptions, string]>([
    ['an unknown option', { clientID: 'x' } as EmulatorOptions, 'clientID'],
    ['an empty clientSecret', { clientSecret: '' }, 'clientSecret'],
    ['a redirect URI with a fragment', { redirectUris: ['http://localhost/cb#x'] }, 'redirectUris[0]'],
    ['a relative redirect URI', { redirectUris: ['/cb'] }, 'redirectUris[0]'],
    ['an identity named "new"', { identities: [{ id: 'new' }] }, 'identities[0].id'],
    ['duplicate identity ids', { identities: [{ id: 'a' }, { id: 'a' }] }, 'identities[1].id'],
    ['an unknown identity property', { identities: [{ id: 'a', mail: 'x' } as never] }, 'identities[0].mail'],
    ['aliasConflict "merge"', { aliasConflict: 'merge' as 'allow' }, 'aliasConflict'],
    ['a port out of range', { signinPort: 70000 }, 'signinPort'],
    ['accessTokenTtlSeconds 0', { accessTokenTtlSeconds: 0 }, 'accessTokenTtlSeconds'],
    ['a fault on an unknown endpoint', { faults: { nope: { status: 500 } } as never }, 'faults.nope'],
  ])('rejects %s with ERR_BINDID_INVALID_OPTION', async (_name, options, option) => {
    await expect(createEmulator(options)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION, option });
  });
});

describe('the fidelity options', () => {
  it.each<[string, EmulatorOptions, string, RegExp]>([
    ['allowClientSecretBasic "yes"', { allowClientSecretBasic: 'yes' as never }, 'allowClientSecretBasic', /must be true or false/],
    ['allowPostAuthorize 1', { allowPostAuthorize: 1 as never }, 'allowPostAuthorize', /must be true or false/],
    ['tokenResponseScope "scope"', { tokenResponseScope: 'scope' as never }, 'tokenResponseScope', /must be true or false/],
    [
      'repeatedAuthenticationPerformed "maybe"',
      { repeatedAuthenticationPerformed: 'maybe' as 'reject' },
      'repeatedAuthenticationPerformed',
      /must be one of "accept", "reject"/,
    ],
    ['an identity emailVerified "no"', { identities: [{ id: 'a', emailVerified: 'no' as never }] }, 'identities[0].emailVerified', /must be true or false/],
  ])('rejects %s with ERR_BINDID_INVALID_OPTION saying what it must be', async (_name, options, option, message) => {
    await expect(createEmulator(options)).rejects.toMatchObject({ code: ErrorCode.INVALID_OPTION, option, message: expect.stringMatching(message) });
  });
});

describe('admin endpoints', () => {
  it('health answers on both sides', async () => {
    for (const base of [emu.issuer, emu.apiUrl]) {
      const res = await get(`${base}/__emulator/health`);
      expect(await res.json()).toEqual({ status: 'ok' });
    }
  });

  it('GET /__emulator/reports lists what reports() lists; DELETE clears it', async () => {
    emu.clearReports();
    const { accessToken } = await login(emu, 'bob');
    await sendFeedback(emu, accessToken);
    const listed = await (await get(`${emu.issuer}/__emulator/reports`)).json();
    expect(listed).toEqual(emu.reports());
    expect(JSON.stringify(listed)).not.toContain(accessToken);
    expect((await fetch(`${emu.apiUrl}/__emulator/reports`, { method: 'DELETE' })).status).toBe(204);
    expect(emu.reports()).toEqual([]);
  });
});

describe('lifecycle (last: closes the shared emulator)', () => {
  it('a port in use → createEmulator rejects and leaves nothing listening', async () => {
    const port = portOf(emu.apiUrl);
    // The sign-in side listens first, then the API side fails: the sign-in side must be closed again.
    await expect(createEmulator({ apiPort: port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('close() ends keep-alive, hung and delayed connections and timers, fast; it is idempotent', async () => {
    const other = emu;
    other.setFault('userinfo', { hang: true });
    other.setFault('discovery', { delayMs: 60_000 });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(`${other.issuer}/jwks`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
    });
    const traffic = httpTraffic();
    try {
      // The 60 s delay on a fake clock that stands still: close() must not wait for it, nor for the hung request.
      await withFakeClock(async () => {
        const hung = fetch(`${other.issuer}/userinfo`).then(
          () => 'answered',
          () => 'failed',
        );
        const delayed = fetch(`${other.issuer}/.well-known/openid-configuration`).then(
          () => 'answered',
          () => 'failed',
        );
        await until(
          () => traffic.received.includes('/userinfo') && traffic.received.includes('/.well-known/openid-configuration') && jest.getTimerCount() === 1,
          'the emulator holds both requests',
        );
        const closed = watch(other.close());
        await until(() => closed.settled, 'close() returned, with no time passing');
        expect(await hung).toBe('failed');
        expect(await delayed).toBe('failed');
        expect(jest.getTimerCount()).toBe(0); // the delay's timer was cleared
      });
    } finally {
      traffic.stop();
    }
    await other.close();
    await expect(fetch(`${other.issuer}/jwks`)).rejects.toThrow();
    agent.destroy();
  });
});

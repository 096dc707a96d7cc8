/**
 * `ask`, the doctor's policy around its one request: a request that carries the client secret (or a
 * report signed with it) is never sent over plain http off this machine (a loopback host reached
 * through a name that is not loopback receives nothing); https or loopback http is sent; every Date
 * header is kept for the clock check; and the answer readers `jsonObject` and `redirected`.
 */
import { ask, isSecureOrLoopback, jsonObject, type ProbeContext, redirected } from '../../src/doctor/ask.js';
import type { ProbeAnswer } from '../../src/doctor/probe.js';
import { Redactor } from '../../src/doctor/redactor.js';
import { OptionReader } from '../../src/internal/option-reader.js';
import { type LoopbackServer, loopbackServer } from './loopback-server.js';

function context(): ProbeContext {
  return { timeoutMs: 2000, now: () => 1_000_000, dates: [], redactor: new Redactor() };
}

function answer(partial: Partial<ProbeAnswer>): ProbeAnswer {
  return { status: 200, mediaType: 'application/json', text: '', ...partial };
}

let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer((req) => (req.url === '/bad-date' ? { status: 204, noDate: true, headers: { date: 'yesterday, more or less' } } : { status: 204 }));
});
afterAll(() => srv.close());
beforeEach(() => {
  srv.requests.length = 0;
});

it('N188 https, and plain http only on localhost, 127.x.x.x or [::1], may carry credentials; an IPv4-mapped loopback address may not (as the library decides)', () => {
  const yes = ['https://signin.example', 'http://localhost:3000', 'http://127.0.0.2', 'http://[::1]:9'];
  const no = ['http://signin.example', 'http://[::ffff:127.0.0.1]:9', 'http://0.0.0.0:9', 'http://10.0.0.1', 'ftp://127.0.0.1'];
  expect(yes.filter((url) => !isSecureOrLoopback(new URL(url)))).toEqual([]);
  expect(no.filter((url) => isSecureOrLoopback(new URL(url)))).toEqual([]);
  const libraryAccepts = (url: string): boolean => {
    try {
      new OptionReader('test', { apiUrl: url }, { apiUrl: true }).baseUrl('apiUrl', 'https://api.example');
      return true;
    } catch {
      return false;
    }
  };
  expect([...yes, ...no].filter((url) => libraryAccepts(url) !== isSecureOrLoopback(new URL(url)))).toEqual([]);
});

it('N188 a request carrying the secret to plain http off this machine is not sent: the loopback host behind the name receives nothing', async () => {
  const { port } = new URL(srv.url);
  for (const host of ['[::ffff:127.0.0.1]', '0.0.0.0']) {
    const url = `http://${host}:${port}/token`;
    const result = await ask(url, { method: 'POST', body: 'client_secret=x', secret: true }, context());
    expect(result).toEqual({
      ok: false,
      problem: `not sent: ${new URL(url).origin} is plain http off this machine, and the request carries the client secret`,
    });
  }
  // The same names do reach the loopback host: a request without the secret gets there.
  const plain = await ask(`http://[::ffff:127.0.0.1]:${port}/metadata`, {}, context());
  expect(plain.ok).toBe(true);
  expect(srv.requests).toEqual(['GET /metadata']);
});

it('a request carrying the secret to loopback http is sent', async () => {
  const result = await ask(`${srv.url}/token`, { method: 'POST', body: 'x', secret: true }, context());
  expect(result).toMatchObject({ ok: true, answer: { status: 204 } });
  expect(srv.requests).toEqual(['POST /token']);
});

it('keeps each readable Date header with the host and the local time, none for an unreadable one', async () => {
  const ctx = context();
  await ask(`${srv.url}/`, {}, ctx);
  await ask(`${srv.url}/bad-date`, {}, ctx);
  expect(ctx.dates).toEqual([{ host: new URL(srv.url).host, date: expect.any(Number), localAt: 1_000_000 }]);
});

it('jsonObject accepts only a JSON object: not an array, null, a string or broken JSON', () => {
  expect(jsonObject(answer({ text: '{"issuer":"x"}' }))).toEqual({ issuer: 'x' });
  for (const text of ['[{"issuer":"x"}]', 'null', '"x"', '{"issuer":']) expect(jsonObject(answer({ text }))).toBeUndefined();
});

it('redirected names the status and Location of a 3xx answer, "(no Location)" without one, and nothing otherwise', () => {
  expect(redirected('GET /x', answer({ status: 307, location: 'https://elsewhere.example/x' }))).toBe(
    'GET /x redirects (307) to https://elsewhere.example/x',
  );
  expect(redirected('GET /x', answer({ status: 308 }))).toBe('GET /x redirects (308) to (no Location)');
  expect(redirected('GET /x', answer({ status: 299 }))).toBeUndefined();
  expect(redirected('GET /x', answer({ status: 400 }))).toBeUndefined();
});

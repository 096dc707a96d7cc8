/**
 * The doctor's single request (`probe`) on its own: what it reports when there is no answer (a
 * timeout, a refused port, a request fetch will not send), which `Date` headers it keeps for the
 * clock check, the media type it reads, and the helpers `jsonObject`, `redirected` and `Redactor`.
 */
import { jsonObject, type ProbeAnswer, type ProbeContext, probe, Redactor, redirected } from '../../src/doctor/probe.js';
import { type Answer, type LoopbackServer, loopbackServer } from './loopback-server.js';

function context(timeoutMs = 2000): ProbeContext {
  return { timeoutMs, now: () => 1_000_000, dates: [], redactor: new Redactor() };
}

function answer(partial: Partial<ProbeAnswer>): ProbeAnswer {
  return { status: 200, mediaType: 'application/json', text: '', ...partial };
}

let srv: LoopbackServer;
beforeAll(async () => {
  srv = await loopbackServer((req): Answer | 'hang' => {
    if (req.url === '/hang') return 'hang';
    if (req.url === '/no-date') return { status: 204, noDate: true };
    if (req.url === '/bad-date') return { status: 204, noDate: true, headers: { date: 'yesterday, more or less' } };
    if (req.url === '/no-type') return { status: 200, body: 'x' };
    return { status: 200, headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"ok":true}' };
  });
});
afterAll(() => srv.close());

it('a host that does not answer in time is reported as "timed out after <timeoutMs> ms"', async () => {
  const started = Date.now();
  const result = await probe(`${srv.url}/hang`, {}, context(150));
  expect(result).toEqual({ ok: false, problem: `no answer from ${new URL(srv.url).host} (timed out after 150 ms)` });
  expect(Date.now() - started).toBeLessThan(1500);
});

it('a port fetch refuses to call is reported with fetch\'s short reason ("bad port"), no request made', async () => {
  // 6000 (X11) is on the fetch standard's list of bad ports: undici refuses it before connecting.
  const result = await probe('http://127.0.0.1:6000/.well-known/openid-configuration', {}, context());
  expect(result).toEqual({ ok: false, problem: 'no answer from 127.0.0.1:6000 (bad port)' });
});

it('N173 a request fetch cannot build is reported by the error\'s name, and its message (which quotes the header) is not shown', async () => {
  const ctx = context();
  const result = await probe(`${srv.url}/`, { headers: { 'x-secret-ish': 'line\nbreak' } }, ctx);
  expect(result).toEqual({ ok: false, problem: `no answer from ${new URL(srv.url).host} (TypeError)` });
  expect(srv.requests).not.toContain('GET /');
});

it('keeps a Date header for the clock check, and none when the answer has no Date or an unreadable one', async () => {
  const ctx = context();
  const ok = await probe(`${srv.url}/`, {}, ctx);
  expect(ok.ok && ok.answer.mediaType).toBe('application/json');
  expect(ctx.dates).toEqual([{ host: new URL(srv.url).host, date: expect.any(Number), localAt: 1_000_000 }]);
  const none = await probe(`${srv.url}/no-date`, {}, ctx);
  const unreadable = await probe(`${srv.url}/bad-date`, {}, ctx);
  expect(none.ok && unreadable.ok).toBe(true);
  expect(ctx.dates).toHaveLength(1);
});

it('an answer without Content-Type has the media type ""', async () => {
  const result = await probe(`${srv.url}/no-type`, {}, context());
  expect(result).toEqual({ ok: true, answer: { status: 200, mediaType: '', text: 'x' } });
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

it('Redactor hides every value of 4 characters or more, and ignores shorter ones that would hide ordinary words', () => {
  const redactor = new Redactor();
  redactor.add('s3cr3t-value');
  redactor.add('the');
  expect(redactor.clean('the s3cr3t-value and s3cr3t-value again')).toBe('the [redacted] and [redacted] again');
});

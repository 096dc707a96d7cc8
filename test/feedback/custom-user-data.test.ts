/**
 * `SessionFeedbackClient`'s custom user data methods on the wire (a fake BindID API): method, path,
 * the same `Authorization` header as reports, the `{"data": …}` body, bounded sizes, and the retry
 * and error rules of the reports.
 */
import { ErrorCode } from '../../src/index.js';
import { MAX_CUSTOM_USER_DATA_BYTES } from '../../src/feedback/custom-user-data.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { expectedAuthorization, hmac, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import { captureDebug, leaksIn } from '../helpers/leaks.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

describe('custom user data on the wire', () => {
  it('GET /custom-user-data: signed like a report, no body, the stored data returned', async () => {
    const token = newToken();
    bindid.script(reply.json(200, { data: { plan: 'gold', tags: ['a'] } }));
    const result = await makeClient(bindid.url).getCustomUserData(token);
    expect(result).toMatchObject({ status: 200, attempts: 1, data: { plan: 'gold', tags: ['a'] } });
    const [sent] = bindid.requests;
    expect(sent?.method).toBe('GET');
    expect(sent?.path).toBe('/custom-user-data');
    expect(sent?.headers.authorization).toBe(expectedAuthorization(SECRET, token));
    expect(sent?.headers['content-type']).toBeUndefined();
    expect(sent?.body.length).toBe(0);
  });

  it.each([
    ['setCustomUserData', 'POST'],
    ['patchCustomUserData', 'PATCH'],
  ] as const)('%s sends %s with {"data": …} as JSON, signed like a report', async (name, method) => {
    const token = newToken();
    const data = { plan: 'gold', removed: null, nested: { n: 1 } };
    bindid.script(reply.json(200, { data: { plan: 'gold' } }));
    const result = await makeClient(bindid.url)[name](token, data);
    expect(result).toMatchObject({ status: 200, data: { plan: 'gold' } });
    const [sent] = bindid.requests;
    expect(sent?.method).toBe(method);
    expect(sent?.path).toBe('/custom-user-data');
    expect(sent?.headers.authorization).toBe(expectedAuthorization(SECRET, token));
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(sent?.body.toString('utf8') ?? '')).toEqual({ data });
  });

  it('a POST or PATCH answer without a data object resolves with data undefined; a GET one is ERR_BINDID_REJECTED', async () => {
    const client = makeClient(bindid.url);
    bindid.script(reply.json(200, {}), reply.status(200, { body: 'ok' }), reply.json(200, { data: [1] }));
    expect((await client.setCustomUserData(newToken(), { a: 1 })).data).toBeUndefined();
    expect((await client.patchCustomUserData(newToken(), { a: 1 })).data).toBeUndefined();
    const err = await rejection(client.getCustomUserData(newToken()));
    expect(err.code).toBe(ErrorCode.REJECTED);
    expect(err.message).toMatch(/custom user data/);
  });

  it('a GET answer that is a bare object is that data; null and "data": null are {} (BindID\'s GET shape is undocumented)', async () => {
    const client = makeClient(bindid.url);
    bindid.script(
      reply.json(200, { plan: 'gold', nested: { data: 1 } }),
      reply.json(200, null),
      reply.json(200, { data: null }),
    );
    expect((await client.getCustomUserData(newToken())).data).toEqual({ plan: 'gold', nested: { data: 1 } });
    expect((await client.getCustomUserData(newToken())).data).toEqual({});
    expect((await client.getCustomUserData(newToken())).data).toEqual({});
  });

  it.each([
    ['an array', [1]],
    ['a string', 'ok'],
    ['a data array', { data: [1] }],
    ['a data string', { data: 'x' }],
  ])('a GET answer that is %s is still ERR_BINDID_REJECTED', async (_what, body) => {
    bindid.script(reply.json(200, body));
    const err = await rejection(makeClient(bindid.url).getCustomUserData(newToken()));
    expect(err.code).toBe(ErrorCode.REJECTED);
  });

  it('a GET answer larger than maxResponseBytes is ERR_BINDID_REJECTED naming the option', async () => {
    bindid.script(reply.json(200, { data: { blob: 'x'.repeat(2000) } }));
    const err = await rejection(makeClient(bindid.url, { maxResponseBytes: 1024 }).getCustomUserData(newToken()));
    expect(err.code).toBe(ErrorCode.REJECTED);
    expect(err.message).toMatch(/maxResponseBytes/);
  });

  it('an ambiguous failure (500) of each method is retried once, like a report; 401 is never retried', async () => {
    const client = makeClient(bindid.url, { retries: 3 });
    for (const call of [() => client.getCustomUserData(newToken()), () => client.patchCustomUserData(newToken(), { a: 1 })]) {
      bindid.reset();
      bindid.script(reply.status(500), reply.status(500), reply.json(200, { data: {} }));
      const err = await rejection(call());
      expect(err.code).toBe(ErrorCode.UNAVAILABLE);
      expect(bindid.requests).toHaveLength(2);
    }
    bindid.reset();
    bindid.script(reply.status(401));
    const unauthorized = await rejection(client.setCustomUserData(newToken(), { a: 1 }));
    expect(unauthorized.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(unauthorized.message).toMatch(/custom user data \(POST\)/);
    expect(bindid.requests).toHaveLength(1);
  });

  it('a 404 (no alias yet) is ERR_BINDID_REJECTED with upstreamStatus 404', async () => {
    bindid.script(reply.json(404, { error: 'alias_not_set' }));
    const err = await rejection(makeClient(bindid.url).getCustomUserData(newToken()));
    expect([err.code, err.upstreamStatus, err.retryable]).toEqual([ErrorCode.REJECTED, 404, false]);
  });

  it.each([
    ['an array', [1]],
    ['a class instance', new Date(0)],
    ['a function member', { f: () => 1 }],
    ['an undefined member', { u: undefined }],
    ['a non-finite number', { n: Number.NaN }],
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o.self = o; return o; })()],
    ['over the size bound', { blob: 'x'.repeat(MAX_CUSTOM_USER_DATA_BYTES) }],
  ])('data that is %s is ERR_BINDID_INVALID_ARGUMENT before any I/O', async (_name, data) => {
    const err = await rejection(makeClient(bindid.url).setCustomUserData(newToken(), data as never));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(bindid.requests).toHaveLength(0);
  });

  it.each([
    ['401', reply.status(401)],
    ['500 twice', reply.status(500)],
    ['a redirect', reply.redirect(307, 'https://elsewhere.example/custom-user-data')],
  ])('N159 on %s, the error and the debug output of a custom user data call hold no secret, token or HMAC', async (_name, answer) => {
    const token = newToken();
    bindid.setDefault(answer);
    const log = captureDebug();
    const errors: unknown[] = [];
    try {
      const client = makeClient(bindid.url, { retries: 1 });
      errors.push(await rejection(client.getCustomUserData(token)));
      errors.push(await rejection(client.patchCustomUserData(token, { a: 1 })));
    } finally {
      log.stop();
    }
    for (const err of errors) {
      expect(leaksIn(err, log.lines, { secret: SECRET, token, hmac: hmac(SECRET, token), 'scheme BindIdBackend': 'BindIdBackend' })).toEqual([]);
    }
    expect(log.lines.length).toBeGreaterThan(0);
  });
});

describe('N185 custom user data comes back without prototype keys (issue 23 item 6c)', () => {
  it('N185 __proto__, constructor and prototype members, at any depth, are dropped; nothing is polluted', async () => {
    const body = '{"data":{"__proto__":{"polluted":true},"plan":"gold","nested":{"constructor":{"prototype":{"polluted":true}},"prototype":1,"ok":[{"__proto__":{"x":1},"y":2}]}}}';
    bindid.script(reply.status(200, { headers: { 'Content-Type': 'application/json' }, body }));
    const { data } = await makeClient(bindid.url).getCustomUserData(newToken());
    expect(JSON.stringify(data)).toBe('{"plan":"gold","nested":{"ok":[{"y":2}]}}');
    expect(Object.hasOwn(data as object, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/**
 * The emulator's `GET|POST|PATCH /custom-user-data` (per alias, RFC 7386 merge patch), checked on the
 * wire with raw requests (the signing computed here with node:crypto) and through the library's client.
 */
import { createHmac } from 'node:crypto';
import type { Emulator } from '../../src/emulator/index.js';
import { ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import { mintLogin } from '../helpers/flow.js';
import { startEmulator } from './helpers.js';

let emu: Emulator;
let client: SessionFeedbackClient;

beforeAll(async () => {
  emu = await startEmulator({ redirectUris: ['http://localhost:4000/bindid/callback'], identities: [{ id: 'ivy' }, { id: 'jack' }] });
  client = new SessionFeedbackClient({ clientSecret: emu.clientSecret, apiUrl: emu.apiUrl, retries: 0, circuitBreaker: false });
});
afterAll(async () => {
  client.close();
  await emu.close();
});

function auth(token: string, secret = emu.clientSecret): string {
  return `BindIdBackend AccessToken ${token}; ${createHmac('sha256', secret).update(token).digest('base64')}`;
}

function call(method: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${emu.apiUrl}/custom-user-data`, {
    method,
    headers: { Authorization: auth(token), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

/** A fresh login of `identity`, whose alias is set first. */
async function withAlias(identity: string, alias: string): Promise<string> {
  emu.setAlias(emu.subOf(identity) as string, alias);
  return (await mintLogin(emu, identity)).accessToken;
}

describe('the emulator /custom-user-data', () => {
  it('GET starts empty; POST replaces; PATCH merge-patches (null deletes, objects merge); GET returns the stored data', async () => {
    const token = await withAlias('ivy', 'ivy-1');
    expect(await (await call('GET', token)).json()).toEqual({ data: {} });
    const posted = await call('POST', token, { data: { plan: 'gold', prefs: { theme: 'dark', lang: 'en' }, drop: 1 } });
    expect(posted.status).toBe(200);
    expect(await (await call('POST', token, { data: { plan: 'gold', prefs: { theme: 'dark', lang: 'en' }, drop: 1 } })).json()).toEqual({
      data: { plan: 'gold', prefs: { theme: 'dark', lang: 'en' }, drop: 1 },
    });
    const patched = await call('PATCH', token, { data: { drop: null, prefs: { lang: null, size: 2 }, tags: ['a'] } });
    expect(await patched.json()).toEqual({ data: { plan: 'gold', prefs: { theme: 'dark', size: 2 }, tags: ['a'] } });
    expect(await (await call('GET', token)).json()).toEqual({ data: { plan: 'gold', prefs: { theme: 'dark', size: 2 }, tags: ['a'] } });
    expect(await (await call('POST', token, { data: { only: true } })).json()).toEqual({ data: { only: true } });
  });

  it('the data is kept per alias: another login of the same alias reads it, another alias does not', async () => {
    const first = await withAlias('ivy', 'ivy-2');
    await call('POST', first, { data: { n: 1 } });
    const again = (await mintLogin(emu, 'ivy')).accessToken;
    expect(await (await call('GET', again)).json()).toEqual({ data: { n: 1 } });
    expect(await (await call('GET', await withAlias('jack', 'jack-2'))).json()).toEqual({ data: {} });
  });

  it('answers 401 for a missing or malformed header, a wrong HMAC, an unknown token or a header/body token mismatch', async () => {
    const token = await withAlias('ivy', 'ivy-3');
    const statuses = [
      (await fetch(`${emu.apiUrl}/custom-user-data`)).status,
      (await call('GET', token, undefined, { Authorization: `Bearer ${token}` })).status,
      (await call('GET', token, undefined, { Authorization: auth(token, 'another-secret') })).status,
      (await call('GET', 'unknown-token', undefined)).status,
      (await call('POST', token, { subject_session_at: 'another-token', data: {} })).status,
    ];
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const short = createHmac('sha256', emu.clientSecret).update(token).digest('base64');
    const hmacOnly = await call('POST', token, { subject_session_at: token, data: { via: 'body' } }, { Authorization: `BindIdBackend AccessToken ${short}` });
    expect(hmacOnly.status).toBe(200);
  });

  it('answers 404 alias_not_set for a user without an alias (status unverified at BindID), 400/415 for bad bodies', async () => {
    emu.setAlias(emu.subOf('jack') as string, undefined);
    const noAlias = (await mintLogin(emu, 'jack')).accessToken;
    const res = await call('GET', noAlias);
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([404, 'alias_not_set']);
    const token = await withAlias('ivy', 'ivy-4');
    expect((await call('POST', token, 'not json')).status).toBe(400);
    expect((await call('PATCH', token, { data: [1] })).status).toBe(400);
    expect((await call('POST', token, { data: {} }, { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('a "__proto__" member is stored as data, never as a prototype', async () => {
    const token = await withAlias('ivy', 'ivy-5');
    const res = await call('PATCH', token, '{"data":{"__proto__":{"polluted":true}}}');
    expect(await res.json()).toEqual({ data: JSON.parse('{"__proto__":{"polluted":true}}') });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('round-trips through SessionFeedbackClient; without an alias the client gets ERR_BINDID_REJECTED (404)', async () => {
    const token = await withAlias('ivy', 'ivy-6');
    await client.setCustomUserData(token, { a: 1, b: { c: 2 } });
    expect((await client.patchCustomUserData(token, { b: { c: null, d: 3 } })).data).toEqual({ a: 1, b: { d: 3 } });
    expect((await client.getCustomUserData(token)).data).toEqual({ a: 1, b: { d: 3 } });
    emu.setAlias(emu.subOf('jack') as string, undefined);
    const noAlias = (await mintLogin(emu, 'jack')).accessToken;
    await expect(client.getCustomUserData(noAlias)).rejects.toMatchObject({ code: ErrorCode.REJECTED, upstreamStatus: 404 });
  });
});

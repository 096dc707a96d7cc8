/**
 * storePendingLogin and isNewBindIdUser, the entry points of apps with their own BindID callback:
 * whatever such an app hands over is checked before anything enters the session, so a bad lifetime,
 * a claims object that is not one, a missing `sub` or an oversized ID token is a coded
 * ERR_BINDID_INVALID_ARGUMENT and the session stays as it was.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ErrorCode, isBindIdError, isNewBindIdUser, storePendingLogin } from '../../src/index.js';

const TOKEN = 'A'.repeat(43);

/** A request with a session, and a response that records the headers appended to it. */
function fakeRequest(cookie?: string): Request & { appended: string[] } {
  const appended: string[] = [];
  const res = { append: (name: string, value: string) => appended.push(`${name}: ${value}`) };
  return { session: { regenerate: () => {}, save: () => {} }, res, headers: cookie ? { cookie } : {}, appended } as unknown as Request & { appended: string[] };
}

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('storePendingLogin refuses what it cannot keep, and keeps nothing then', () => {
  it.each<[string, unknown]>([
    ['no input object', null],
    ['expiresIn zero', { accessToken: TOKEN, expiresIn: 0, claims: { sub: 's' } }],
    ['expiresIn negative', { accessToken: TOKEN, expiresIn: -5, claims: { sub: 's' } }],
    ['expiresIn not finite', { accessToken: TOKEN, expiresIn: Number.POSITIVE_INFINITY, claims: { sub: 's' } }],
    ['expiresIn as a string', { accessToken: TOKEN, expiresIn: '3600', claims: { sub: 's' } }],
    ['claims null', { accessToken: TOKEN, expiresIn: 3600, claims: null }],
    ['claims an array', { accessToken: TOKEN, expiresIn: 3600, claims: [{ sub: 's' }] }],
    ['claims without sub', { accessToken: TOKEN, expiresIn: 3600, claims: { email: 'a@example.com' } }],
    ['an empty sub', { accessToken: TOKEN, expiresIn: 3600, claims: { sub: '' } }],
    ['a sub over 255 characters', { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 's'.repeat(256) } }],
    ['a numeric sub', { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 42 } }],
    ['claims over 16 KB', { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 's', filler: 'x'.repeat(16_384) } }],
  ])('%s → ERR_BINDID_INVALID_ARGUMENT, the session untouched', (_what, input) => {
    const req = fakeRequest();
    const before = JSON.stringify(req.session);
    const err = refusal(() => storePendingLogin(req, input as Parameters<typeof storePendingLogin>[1]));
    expect(isBindIdError(err, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect(JSON.stringify(req.session)).toBe(before);
  });

  it.each([0, -1, Number.NaN])('a ttlSeconds of %p → ERR_BINDID_INVALID_ARGUMENT, the session untouched', (ttlSeconds) => {
    const req = fakeRequest();
    const err = refusal(() => storePendingLogin(req, { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 's' } }, { ttlSeconds }));
    expect(isBindIdError(err, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((req.session as { bindid?: unknown }).bindid).toBeUndefined();
  });

  it('keeps a copy of the claims: changing the object afterwards does not change the pending login', () => {
    const req = fakeRequest();
    const claims: Record<string, unknown> = { sub: 'sub-1', email: 'a@example.com' };
    const pending = storePendingLogin(req, { accessToken: TOKEN, expiresIn: 3600, claims: claims as { sub: string } });
    claims.sub = 'someone-else';
    expect(pending.claims.sub).toBe('sub-1');
  });

  it.each(['ftp://app.example', 'http://app.example', 'not a url', 42])('a baseUrl of %p → ERR_BINDID_INVALID_ARGUMENT, no cookie, the session untouched', (baseUrl) => {
    const req = fakeRequest();
    const err = refusal(() => storePendingLogin(req, { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 's' } }, { baseUrl: baseUrl as string }));
    expect(isBindIdError(err, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((req.session as { bindid?: unknown }).bindid).toBeUndefined();
    expect(req.appended).toEqual([]);
  });

  it('a bad input sets no cookie', () => {
    const req = fakeRequest();
    refusal(() => storePendingLogin(req, { accessToken: TOKEN, expiresIn: 0, claims: { sub: 's' } }));
    expect(req.appended).toEqual([]);
  });
});

describe('storePendingLogin binds the pending login to the browser (issue 23 item 3)', () => {
  const input = { accessToken: TOKEN, expiresIn: 3600, claims: { sub: 's' } };

  it.each([undefined, 'https://app.example', 'https://localhost:8443'])('baseUrl %p: a __Host- cookie (Secure, HttpOnly, Path=/, no Domain, SameSite=Lax) whose SHA-256 the pending login keeps', (baseUrl) => {
    const req = fakeRequest();
    const pending = storePendingLogin(req, input, baseUrl ? { baseUrl } : {});
    expect(req.appended).toHaveLength(1);
    const cookie = req.appended[0] as string;
    expect(cookie).toMatch(/^Set-Cookie: __Host-bindid-browser=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(cookie).not.toMatch(/Domain/i);
    const value = /=([^;]+);/.exec(cookie)?.[1] as string;
    expect(pending.browser).toBe(createHash('sha256').update(value).digest('base64url'));
    expect(JSON.stringify(req.session)).not.toContain(value);
  });

  it.each(['http://localhost:3000', 'http://127.0.0.1:4000'])('plain-http loopback %s: no cookie, the session alone', (baseUrl) => {
    const req = fakeRequest();
    const pending = storePendingLogin(req, input, { baseUrl });
    expect(req.appended).toEqual([]);
    expect(pending.browser).toBeUndefined();
  });

  it('without an Express response to set the cookie on: a coded error, nothing kept', () => {
    const req = { session: { regenerate: () => {}, save: () => {} }, headers: {} } as unknown as Request;
    expect(isBindIdError(refusal(() => storePendingLogin(req, input)), ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((req.session as { bindid?: unknown }).bindid).toBeUndefined();
  });
});

describe('isNewBindIdUser', () => {
  it('is true without a bindid_alias (null or absent), false with one', () => {
    expect(isNewBindIdUser({ sub: 's' })).toBe(true);
    expect(isNewBindIdUser({ sub: 's', bindid_alias: null })).toBe(true);
    expect(isNewBindIdUser({ sub: 's', bindid_alias: '42' })).toBe(false);
  });

  it.each([null, 'claims', ['sub']])('refuses %p instead of guessing (ERR_BINDID_INVALID_ARGUMENT)', (claims) => {
    const err = refusal(() => isNewBindIdUser(claims as unknown as Record<string, unknown>));
    expect(isBindIdError(err, ErrorCode.INVALID_ARGUMENT)).toBe(true);
  });
});

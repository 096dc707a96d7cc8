/**
 * storePendingLogin and isNewBindIdUser, the entry points of apps with their own BindID callback:
 * whatever such an app hands over is checked before anything enters the session, so a bad lifetime,
 * a claims object that is not one, a missing `sub` or an oversized ID token is a coded
 * ERR_BINDID_INVALID_ARGUMENT and the session stays as it was.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ErrorCode, isBindIdError, isNewBindIdUser, storePendingLogin } from '../../src/index.js';
import { clearPendingLogin, getPendingLogin, type PendingLogin, pendingLoginOf, requirePendingLogin } from '../../src/session/pending-login.js';

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

describe('the pending login expires', () => {
  const at = (ms: number) => () => ms;
  const input = (expiresIn = 3600) => ({ accessToken: TOKEN, expiresIn, claims: { sub: 's' } });
  /** A request whose session holds `pending` (none: no BindID state at all). */
  const withPending = (pending?: unknown, authenticated = false) =>
    ({ session: pending === undefined ? {} : { bindid: { pending } }, isAuthenticated: () => authenticated }) as unknown as Request;

  it('after ttlSeconds (default 600 s) or the access token, whichever ends first; the token end is kept too', () => {
    expect(pendingLoginOf(input(), { now: at(1000) })).toMatchObject({ createdAt: 1000, expiresAt: 601_000, tokenExpiresAt: 3_601_000 });
    expect(pendingLoginOf(input(), { now: at(1000), ttlSeconds: 30 })).toMatchObject({ expiresAt: 31_000 });
    expect(pendingLoginOf(input(1.5), { now: at(1000), ttlSeconds: 30 })).toMatchObject({ expiresAt: 2500, tokenExpiresAt: 2500 });
    expect(pendingLoginOf(input(1.0005), { now: at(1000) })).toMatchObject({ tokenExpiresAt: 2000 });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('ttlSeconds %p is refused (ERR_BINDID_INVALID_ARGUMENT naming it)', (ttlSeconds) => {
    const err = refusal(() => pendingLoginOf(input(), { ttlSeconds }));
    expect(isBindIdError(err, ErrorCode.INVALID_ARGUMENT)).toBe(true);
    expect((err as Error).message).toContain('ttlSeconds must be a positive number');
  });

  it('a relink is marked as one; any other login is not', () => {
    expect(pendingLoginOf(input(), { relink: true }).relink).toBe(true);
    expect('relink' in pendingLoginOf(input())).toBe(false);
  });

  it('getPendingLogin: until expiresAt, exclusive; then it is removed from the session', () => {
    const pending = pendingLoginOf(input(), { now: at(1000), ttlSeconds: 10 });
    const req = withPending(pending);
    expect(getPendingLogin(req, 10_999)).toBe(pending);
    expect(getPendingLogin(req, 11_000)).toBeUndefined();
    expect(req.session.bindid?.pending).toBeUndefined();
    expect(getPendingLogin(withPending(), 0)).toBeUndefined();
  });

  it('getPendingLogin: what is not a pending login in the session is none', () => {
    const good = pendingLoginOf(input(), { now: at(1000) });
    for (const bad of [
      'a string',
      { ...good, id: 1 },
      { ...good, accessToken: undefined },
      { ...good, expiresAt: '601000' },
      { ...good, createdAt: undefined },
      { ...good, claims: null },
      { ...good, claims: 'sub' },
      { ...good, claims: { sub: 1 } },
      { ...good, browser: 1 },
    ]) {
      expect(getPendingLogin(withPending(bad), 2000)).toBeUndefined();
    }
    expect(getPendingLogin(withPending({ ...good, browser: 'b' }), 2000)).toMatchObject({ browser: 'b' });
  });

  it('requirePendingLogin: none is ERR_BINDID_NO_PENDING_LOGIN (400) saying to start again, with a hint when the user is already logged in', () => {
    const none = refusal(() => requirePendingLogin(withPending(), 0));
    expect(none).toMatchObject({ code: ErrorCode.NO_PENDING_LOGIN, status: 400 });
    expect((none as Error).message).toContain('start again from "Sign in with BindID"');
    expect((none as Error).message).toMatch(/"Sign in with BindID"\.$/); // no hint
    for (const req of [{} as Request, { session: {} } as Request, withPending('not a pending login')]) {
      expect(refusal(() => requirePendingLogin(req, 0))).toMatchObject({ code: ErrorCode.NO_PENDING_LOGIN, status: 400 });
    }
    expect(getPendingLogin({} as Request, 0)).toBeUndefined();
    const loggedIn = refusal(() => requirePendingLogin(withPending(undefined, true), 0));
    expect((loggedIn as Error).message).toContain('give it { session: false }');
  });

  it('requirePendingLogin: at expiresAt it is ERR_BINDID_PENDING_LOGIN_EXPIRED (400) and removed; a moment before it is returned', () => {
    const pending: PendingLogin = pendingLoginOf(input(), { now: at(1000), ttlSeconds: 10 });
    const req = withPending(pending);
    expect(requirePendingLogin(req, 10_999)).toBe(pending);
    const expired = refusal(() => requirePendingLogin(req, 11_000));
    expect(expired).toMatchObject({ code: ErrorCode.PENDING_LOGIN_EXPIRED, status: 400 });
    expect((expired as Error).message).toContain('start again');
    expect(req.session.bindid?.pending).toBeUndefined();
    expect(() => clearPendingLogin({} as Request)).not.toThrow();
  });
});

/**
 * storePendingLogin and isNewBindIdUser, the entry points of apps with their own BindID callback:
 * whatever such an app hands over is checked before anything enters the session, so a bad lifetime,
 * a claims object that is not one, a missing `sub` or an oversized ID token is a coded
 * ERR_BINDID_INVALID_ARGUMENT and the session stays as it was.
 */
import type { Request } from 'express';
import { ErrorCode, isBindIdError, isNewBindIdUser, storePendingLogin } from '../../src/index.js';

const TOKEN = 'A'.repeat(43);

function fakeRequest(): Request {
  return { session: { regenerate: () => {}, save: () => {} } } as unknown as Request;
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

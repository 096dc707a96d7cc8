/**
 * requireServerSession: the session every door needs, and a `Secure` session cookie that
 * express-session would never send over this request (the sign-in would be lost without a word).
 */
import type { Request } from 'express';
import { BindIdStateError } from '../../src/errors.js';
import { requireServerSession } from '../../src/session/require-session.js';

function req(cookie: { secure?: boolean | 'auto' }, over: { secure?: boolean; headers?: Record<string, string> } = {}): Request {
  const session = { cookie, regenerate: () => undefined, save: () => undefined };
  return { session, secure: over.secure ?? false, headers: over.headers ?? {} } as unknown as Request;
}

function refusal(request: Request): unknown {
  try {
    requireServerSession(request);
    return 'accepted';
  } catch (err) {
    return err instanceof BindIdStateError ? { code: err.code, status: err.status, message: err.message } : err;
  }
}

describe('requireServerSession and a Secure session cookie', () => {
  it('refuses cookie.secure true over plain http: ERR_BINDID_SESSION_MISSING (500), saying what to set', () => {
    expect(refusal(req({ secure: true }))).toEqual({
      code: 'ERR_BINDID_SESSION_MISSING',
      status: 500,
      message: expect.stringMatching(/secure: true.*plain http.*secure: 'auto'.*trust proxy/s),
    });
    expect(refusal(req({ secure: true }, { headers: { 'x-forwarded-proto': 'http' } }))).toMatchObject({ code: 'ERR_BINDID_SESSION_MISSING' });
  });

  it.each([
    ['an https request', req({ secure: true }, { secure: true })],
    ['a proxy that says https (express-session proxy: true trusts it)', req({ secure: true }, { headers: { 'x-forwarded-proto': 'HTTPS, http' } })],
    ["cookie.secure 'auto' over plain http", req({ secure: 'auto' })],
    ['cookie.secure false over plain http', req({ secure: false })],
    ['no cookie settings', req({})],
  ])('accepts %s', (_name, request) => {
    expect(refusal(request)).toBe('accepted');
  });
});

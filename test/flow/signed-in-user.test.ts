/**
 * signedInUser (src/flow/unlink.ts), which the unlink route and BindIdStrategy's unlink call first:
 * only a signed-in user unlinks, as Passport says (`req.isAuthenticated()`) or, without Passport's
 * helpers, as `req.user` says; anyone else is `ERR_BINDID_NOT_AUTHENTICATED` (401).
 */
import type { Request } from 'express';
import { ErrorCode, isBindIdError } from '../../src/errors.js';
import { signedInUser } from '../../src/flow/unlink.js';

interface Account {
  id: number;
}

/** The user signedInUser returns, or the refusal's code and status. */
function who(req: Partial<Pick<Request, 'isAuthenticated' | 'user'>>): string {
  try {
    return `user ${signedInUser<Account>(req as Request).id}`;
  } catch (err) {
    if (!isBindIdError(err)) throw err;
    return `${err.code} (${err.status})`;
  }
}

const REFUSED = `${ErrorCode.NOT_AUTHENTICATED} (401)`;
const authenticated = (yes: boolean) => (() => yes) as Request['isAuthenticated'];

describe('signedInUser', () => {
  it('returns the user Passport says is signed in', () => {
    expect(who({ isAuthenticated: authenticated(true), user: { id: 7 } })).toBe('user 7');
  });

  it('refuses a user Passport says is not signed in, whatever req.user holds', () => {
    expect(who({ isAuthenticated: authenticated(false), user: { id: 7 } })).toBe(REFUSED);
  });

  it('refuses when Passport says signed in but there is no user (null or undefined)', () => {
    expect(who({ isAuthenticated: authenticated(true), user: null as unknown as Request['user'] })).toBe(REFUSED);
    expect(who({ isAuthenticated: authenticated(true) })).toBe(REFUSED);
  });

  it("without Passport's helpers, req.user decides", () => {
    expect(who({ user: { id: 8 } })).toBe('user 8');
    expect(who({})).toBe(REFUSED);
    expect(who({ user: null as unknown as Request['user'] })).toBe(REFUSED);
  });
});

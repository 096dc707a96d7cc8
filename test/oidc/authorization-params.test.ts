/**
 * The per-login authorization parameters (`checkAuthorizationParams`): what a login function may
 * return, and the coded 400 (ERR_BINDID_INVALID_AUTHORIZATION_PARAMS) naming the parameter, never
 * quoting its value, for each kind of bad one.
 */
import { ErrorCode, isBindIdError } from '../../src/index.js';
import { checkAuthorizationParams } from '../../src/oidc/authorization-params.js';

/** The error `checkAuthorizationParams(value)` throws (fails the test if it does not throw). */
function refusal(value: unknown): Error {
  try {
    checkAuthorizationParams(value);
  } catch (err) {
    expect(isBindIdError(err, ErrorCode.INVALID_AUTHORIZATION_PARAMS)).toBe(true);
    expect(err).toMatchObject({ status: 400 });
    return err as Error;
  }
  throw new Error('checkAuthorizationParams accepted the value');
}

it('accepts a valid display and skips parameters given as undefined', () => {
  expect(checkAuthorizationParams({ display: 'popup', login_hint: undefined, prompt: 'login consent' })).toEqual({
    display: 'popup',
    prompt: 'login consent',
  });
});

it('a parameter that is not a string is refused naming its type', () => {
  expect(refusal({ login_hint: 42 }).message).toBe('The sign-in parameter login_hint must be a non-empty string (got number).');
  expect(refusal({ acr_values: ['a'] }).message).toBe('The sign-in parameter acr_values must be a non-empty string (got an array).');
});

it('a display or prompt value outside the allowed set is refused, without quoting it', () => {
  expect(refusal({ display: 'fullscreen' }).message).toBe('The sign-in parameter display must be one of page, popup, touch, wap.');
  const prompt = refusal({ prompt: 'login create' });
  expect(prompt.message).toBe('The sign-in parameter prompt must be made of login, consent, select_account (or none alone).');
  expect(prompt.message).not.toContain('create');
});

it('N172 an aux link with credentials is refused, and the credentials are not repeated', () => {
  const err = refusal({ bindid_aux_link: 'https://user:pa55word@app.example.com/help' });
  expect(err.message).toBe('The sign-in parameter bindid_aux_link must not contain credentials.');
  expect(err.message).not.toContain('pa55word');
});

it('an unknown parameter whose name is not a short identifier is called "given", not echoed', () => {
  const err = refusal({ '<script>alert(1)</script>': 'x' });
  expect(err.message).toMatch(/^The sign-in parameter given is not allowed \(allowed: acr_values, /);
  expect(refusal({ max_age: '0' }).message).toMatch(/^The sign-in parameter max_age is not allowed/);
});

describe('N184 invisible and bidirectional characters in a sign-in parameter (issue 23 item 6b)', () => {
  it.each([
    ['login_hint', 'email:alice\u200b@example.com', 'a zero-width space'],
    ['login_hint', 'email:alice\u200d@example.com', 'a zero-width joiner'],
    ['login_hint', '\ufeffalice@example.com', 'a byte-order mark'],
    ['bindid_custom_message', 'Pay \u202eXOF 01\u202c now', 'a right-to-left override (U+202E)'],
    ['bindid_custom_message', 'Hello \u202aworld', 'a left-to-right embedding (U+202A)'],
    ['bindid_custom_message', 'Hello \u2066world\u2069', 'an isolate (U+2066, U+2069)'],
    ['bindid_aux_link_title', 'Help\u2028me', 'a line separator'],
    ['bindid_custom_message', 'soft\u00adhyphen', 'a soft hyphen (Cf)'],
  ])('N184 %s with %j (%s) is refused with the typed error, not quoting the value', (key, value) => {
    const err = refusal({ [key]: value });
    expect(err.message).toBe(`The sign-in parameter ${key} must not contain invisible or bidirectional formatting characters.`);
    expect(err.message).not.toContain(value);
  });

  it('N184 visible non-ASCII text is still accepted', () => {
    expect(checkAuthorizationParams({ bindid_custom_message: 'Willkommen bei Zürich — مرحبا' })).toEqual({ bindid_custom_message: 'Willkommen bei Zürich — مرحبا' });
  });
});

/**
 * The doctor's checks that make no request: the redirect URI's form (absolute, https or http on this
 * machine, no fragment, the callback path) and the local clock against the `Date` headers seen (the
 * worst host decides; ahead, behind or in step).
 */
import { checkClock, checkRedirectUri } from '../../src/doctor/local-checks.js';

const PATH = '/bindid/callback';

it('a relative redirect URI fails with a full URL to use', () => {
  expect(checkRedirectUri('/bindid/callback', PATH)).toEqual({
    id: 'redirect-uri',
    status: 'fail',
    detail: '"/bindid/callback" is not an absolute URL',
    fix: 'use the full URL, e.g. https://app.example.com/bindid/callback',
  });
});

it('an own-callback redirect URI with the default callback path fails naming --callback-path and BINDID_CALLBACK_PATH first, then the router\'s paths.callback', () => {
  expect(checkRedirectUri('https://app.example.com/auth/bindid/callback', PATH)).toEqual({
    id: 'redirect-uri',
    status: 'fail',
    detail:
      'the path is "/auth/bindid/callback", not "/bindid/callback" (bindIdRouter\'s default callback path, which the doctor assumes without --callback-path)',
    fix:
      'with your own callback route or BindIdStrategy, tell the doctor its path: --callback-path /auth/bindid/callback ' +
      '(or BINDID_CALLBACK_PATH=/auth/bindid/callback; callbackPath in code); ' +
      'with bindIdRouter, set its paths.callback to "/auth/bindid/callback" or register https://app.example.com/bindid/callback at BindID',
  });
  expect(checkRedirectUri('https://app.example.com/auth/bindid/callback', '/auth/bindid/callback', true).status).toBe('pass');
});

it('a redirect URI whose path differs from a callback path that was given says so, and names --callback-path', () => {
  expect(checkRedirectUri('https://app.example.com/auth/cb', '/auth/callback', true)).toEqual({
    id: 'redirect-uri',
    status: 'fail',
    detail: 'the path is "/auth/cb", the callback path given is "/auth/callback"',
    fix:
      'give the path of the callback route your app serves: --callback-path /auth/cb (or BINDID_CALLBACK_PATH=/auth/cb; callbackPath in code); ' +
      'or register https://app.example.com/auth/callback at BindID',
  });
});

it('a redirect URI with a fragment fails, even an empty one', () => {
  const expected = { id: 'redirect-uri', status: 'fail', detail: 'the redirect URI has a fragment', fix: 'remove the #fragment' };
  expect(checkRedirectUri('https://app.example.com/bindid/callback#top', PATH)).toEqual(expected);
  expect(checkRedirectUri('https://app.example.com/bindid/callback#', PATH)).toEqual(expected);
  expect(checkRedirectUri('http://127.0.0.1:3000/bindid/callback', PATH).status).toBe('pass');
});

it('the clock check without any Date header is skipped: "not checked"', () => {
  expect(checkClock([], 30)).toEqual({ id: 'clock', status: 'skipped', detail: 'not checked: no answer carried a Date header' });
});

it('the worst host decides, whichever answered last: a clock 2 minutes behind the second host fails', () => {
  const at = 1_800_000_000_000;
  const dates = [
    { host: 'signin.example', date: at, localAt: at + 700 },
    { host: 'api.example', date: at + 120_000, localAt: at + 500 },
  ];
  expect(checkClock(dates, 30)).toMatchObject({
    status: 'fail',
    detail: 'the local clock is 120 s behind api.example (more than 30 s): ID tokens would look issued in the future or expired',
  });
  expect(checkClock(dates.slice(0, 1), 30)).toEqual({
    id: 'clock',
    status: 'pass',
    detail: 'the local clock is in step with signin.example (at most 30 s allowed)',
  });
  expect(checkClock([{ host: 'api.example', date: at, localAt: at - 20_000 }], 30).detail).toBe(
    'the local clock is 20 s behind api.example (at most 30 s allowed)',
  );
});

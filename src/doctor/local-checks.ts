/**
 * The checks that need no request of their own: the redirect URI's form, and the local clock against
 * the `Date` headers of the answers the other checks received.
 *
 * @module
 */
import { isSecureOrLoopback, type SeenDate } from './ask.js';
import type { BindIdSetupCheck } from './types.js';

/** The router's default callback path: the doctor's when it is not told another. */
export const DEFAULT_CALLBACK_PATH = '/bindid/callback';

/**
 * The failure of a redirect URI whose path is not the callback path. With the default callback path,
 * the likely cause is an app with its own callback route (or `BindIdStrategy`) that the doctor was
 * not told about: the fix names `--callback-path` first, then the router's `paths.callback`.
 */
function wrongPath(url: URL, callbackPath: string, given: boolean): BindIdSetupCheck {
  const path = url.pathname;
  const detail = given
    ? `the path is "${path}", the callback path given is "${callbackPath}"`
    : `the path is "${path}", not "${callbackPath}" (bindIdRouter's default callback path, which the doctor assumes without --callback-path)`;
  const tell = `--callback-path ${path} (or BINDID_CALLBACK_PATH=${path}; callbackPath in code)`;
  const fix = given
    ? `give the path of the callback route your app serves: ${tell}; or register ${url.origin}${callbackPath} at BindID`
    : `with your own callback route or BindIdStrategy, tell the doctor its path: ${tell}; with bindIdRouter, set its paths.callback to "${path}" or register ${url.origin}${callbackPath} at BindID`;
  return { id: 'redirect-uri', status: 'fail', detail, fix };
}

/**
 * Check that `redirectUri` is https (or http on this machine) and ends at the callback path
 * (`given`: whether that path was given, or is the default).
 */
export function checkRedirectUri(redirectUri: string, callbackPath: string, given = false): BindIdSetupCheck {
  const fail = (detail: string, fix: string): BindIdSetupCheck => ({ id: 'redirect-uri', status: 'fail', detail, fix });
  if (!URL.canParse(redirectUri)) {
    return fail(`"${redirectUri}" is not an absolute URL`, `use the full URL, e.g. https://app.example.com${callbackPath}`);
  }
  const url = new URL(redirectUri);
  if (!isSecureOrLoopback(url)) {
    return fail(
      `${url.protocol.replace(':', '')} on ${url.hostname}: only localhost may use plain http`,
      `use https://${url.host}${url.pathname} (and register that exact URI in the BindID Admin Portal)`,
    );
  }
  if (url.hash !== '' || redirectUri.includes('#')) return fail('the redirect URI has a fragment', 'remove the #fragment');
  if (url.pathname !== callbackPath) return wrongPath(url, callbackPath, given);
  return { id: 'redirect-uri', status: 'pass', detail: `${redirectUri} (${url.protocol.replace(':', '')}, path ${callbackPath})` };
}

/** Check the local clock against the `Date` headers seen. */
export function checkClock(dates: readonly SeenDate[], maxSkewSeconds: number): BindIdSetupCheck {
  if (dates.length === 0) return { id: 'clock', status: 'skipped', detail: 'not checked: no answer carried a Date header' };
  // A Date header has whole seconds: the host's clock was somewhere in [date, date + 1 s).
  const skews = dates.map(({ host, date, localAt }) => ({ host, seconds: Math.round((localAt - date - 500) / 1000) }));
  const worst = skews.reduce((a, b) => (Math.abs(b.seconds) > Math.abs(a.seconds) ? b : a));
  const what = `${worst.seconds === 0 ? 'in step with' : `${Math.abs(worst.seconds)} s ${worst.seconds > 0 ? 'ahead of' : 'behind'}`} ${worst.host}`;
  if (Math.abs(worst.seconds) <= maxSkewSeconds) {
    return { id: 'clock', status: 'pass', detail: `the local clock is ${what} (at most ${maxSkewSeconds} s allowed)` };
  }
  return {
    id: 'clock',
    status: 'fail',
    detail: `the local clock is ${what} (more than ${maxSkewSeconds} s): ID tokens would look issued in the future or expired`,
    fix: 'synchronise the clock with NTP (e.g. enable systemd-timesyncd or chrony)',
  };
}

/**
 * The checks that need no request of their own: the redirect URI's form, and the local clock against
 * the `Date` headers of the answers the other checks received.
 *
 * @module
 */
import { isLoopback } from '../internal/is-loopback.js';
import type { SeenDate } from './probe.js';
import type { BindIdSetupCheck } from './types.js';

/** Check that `redirectUri` is https (or http on this machine) and ends at the callback path. */
export function checkRedirectUri(redirectUri: string, callbackPath: string): BindIdSetupCheck {
  const fail = (detail: string, fix: string): BindIdSetupCheck => ({ id: 'redirect-uri', status: 'fail', detail, fix });
  if (!URL.canParse(redirectUri)) {
    return fail(`"${redirectUri}" is not an absolute URL`, `use the full URL, e.g. https://app.example.com${callbackPath}`);
  }
  const url = new URL(redirectUri);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return fail(
      `${url.protocol.replace(':', '')} on ${url.hostname}: only localhost may use plain http`,
      `use https://${url.host}${url.pathname} (and register that exact URI in the BindID Admin Portal)`,
    );
  }
  if (url.hash !== '' || redirectUri.includes('#')) return fail('the redirect URI has a fragment', 'remove the #fragment');
  if (url.pathname !== callbackPath) {
    return fail(
      `the path is "${url.pathname}", the router's callback path is "${callbackPath}"`,
      `use ${url.origin}${callbackPath} (or set callbackPath to the router's paths.callback)`,
    );
  }
  return { id: 'redirect-uri', status: 'pass', detail: `${redirectUri} (${url.protocol.replace(':', '')}, path ${callbackPath})` };
}

/** Check the local clock against the `Date` headers seen. */
export function checkClock(dates: readonly SeenDate[], maxSkewSeconds: number): BindIdSetupCheck {
  if (dates.length === 0) {
    return {
      id: 'clock',
      status: 'fail',
      detail: 'not checked: no answer carried a Date header',
      fix: 'fix the checks above so the hosts answer',
    };
  }
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

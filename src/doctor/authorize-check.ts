/**
 * `checkAuthorize`: the authorization request the app sends, made once with its real parameters
 * (`client_id`, `redirect_uri`, `scope=openid`, `response_type=code`, a dummy `state` and `nonce`, an
 * S256 `code_challenge` unless `pkce: false`, the app's `bindid_aux_link` if given), redirects not
 * followed. BindID shows what it refuses here on its own pages, where the app sees nothing:
 *
 * - 200 (the sign-in page), or a redirect back to the redirect URI without `error`: `pass`;
 * - a redirect back to the redirect URI with `error=`: `fail` with the error (and `pkce: false` when
 *   BindID names PKCE);
 * - a 4xx/5xx page, or a redirect to another host: `fail` naming the likely causes (a redirect URI not
 *   registered exactly, a client id of another environment, an aux link off its registered prefix);
 * - a redirect to another page of the sign-in host: `warn` (the doctor does not follow it, so it cannot
 *   tell BindID's sign-in page from its error page), unless its URL says `error`.
 *
 * No secret is sent; the request goes only over https or to this machine.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { ask, isSecureOrLoopback, type ProbeContext } from './ask.js';
import type { ProbeAnswer } from './probe.js';
import type { BindIdSetupCheck, BindIdSetupOptions } from './types.js';

/** A random base64url value of `bytes` bytes. */
function random(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** The probe's URL: the authorization endpoint with the app's parameters. */
export function authorizeUrl(options: BindIdSetupOptions, endpoint: string): URL {
  const url = new URL(endpoint);
  const params: Record<string, string> = {
    client_id: options.clientId,
    redirect_uri: options.redirectUri,
    scope: 'openid',
    response_type: 'code',
    state: `bindid-doctor-${random(16)}`,
    nonce: `bindid-doctor-${random(16)}`,
    ...(options.pkce === false ? {} : { code_challenge: random(32), code_challenge_method: 'S256' }),
    ...(options.auxLink === undefined ? {} : { bindid_aux_link: options.auxLink }),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

/** The likely causes of an error page at `/authorize`. */
function causes(options: BindIdSetupOptions): string {
  const aux =
    options.auxLink === undefined
      ? 'or, if the app sets bindid_aux_link, its prefix is not the one registered at enrollment (give it with --aux-link to include it here)'
      : `or bindid_aux_link ${options.auxLink} does not begin with the prefix registered at enrollment`;
  return (
    `likely causes: the redirect URI ${options.redirectUri} is not registered exactly (scheme, host, port and path) for the application in the BindID Admin Portal; ` +
    `the client id "${options.clientId}" is not an application of this environment (issuer); ${aux}`
  );
}

/** The `<title>` of an HTML page, short, if it has one. */
function titleOf(answer: ProbeAnswer): string | undefined {
  const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(answer.text)?.[1]?.trim();
  return title === undefined || title === '' ? undefined : title.slice(0, 80);
}

/** The same page: origin and path equal (the query aside). */
function samePage(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}

/** A redirect back to the redirect URI: with `error=`, a failure; without, a pass. */
function redirectedBack(options: BindIdSetupOptions, endpoint: string, location: URL): BindIdSetupCheck {
  const error = location.searchParams.get('error');
  if (error === null) {
    return { id: 'authorize', status: 'pass', detail: `${endpoint} redirected back to the redirect URI without an error` };
  }
  const description = location.searchParams.get('error_description');
  const said = `error=${error.slice(0, 64)}${description === null ? '' : ` ("${description.slice(0, 120)}")`}`;
  const aboutPkce = /code_challenge|pkce/i.test(`${error} ${description ?? ''}`) && options.pkce !== false;
  return {
    id: 'authorize',
    status: 'fail',
    detail: `${endpoint} redirected back to the redirect URI with ${said}: every sign-in would end there`,
    fix: aboutPkce
      ? 'BindID refused the PKCE parameters: set pkce: false in the options of bindIdRouter or BindIdStrategy'
      : `BindID refused the authorization request (${error.slice(0, 64)}): check the application's settings in the BindID Admin Portal (its grant type, scopes, redirect URI)`,
  };
}

/** A redirect that does not go back to the redirect URI. */
function redirectedAway(options: BindIdSetupOptions, endpoint: string, status: number, location: URL): BindIdSetupCheck {
  const where = `${location.origin}${location.pathname}`;
  if (location.origin === new URL(endpoint).origin && !/error/i.test(location.href)) {
    return {
      id: 'authorize',
      status: 'warn',
      detail: `${endpoint} redirects (${status}) to ${where}, another page of the sign-in host: the doctor does not follow it, so it cannot tell the sign-in page from an error page`,
      fix: "open your app's sign-in (GET /login/bindid) in a browser: BindID's page should ask for the biometric, not show an error",
    };
  }
  return {
    id: 'authorize',
    status: 'fail',
    detail: `${endpoint} redirects (${status}) to ${where}, not to the redirect URI: an error page, not the sign-in page`,
    fix: causes(options),
  };
}

/** What the answer to the authorization request says (see the module). */
function judge(options: BindIdSetupOptions, endpoint: string, probeUrl: URL, answer: ProbeAnswer): BindIdSetupCheck {
  const { status } = answer;
  if (status >= 300 && status <= 399) {
    const location = answer.location === undefined || !URL.canParse(answer.location, probeUrl.href) ? undefined : new URL(answer.location, probeUrl);
    if (location === undefined) {
      return { id: 'authorize', status: 'fail', detail: `${endpoint} redirects (${status}) without a usable Location`, fix: causes(options) };
    }
    if (samePage(location, new URL(options.redirectUri))) return redirectedBack(options, endpoint, location);
    return redirectedAway(options, endpoint, status, location);
  }
  if (status === 200) {
    return {
      id: 'authorize',
      status: 'pass',
      detail: `${endpoint} answered 200 (the sign-in page) to client "${options.clientId}" with redirect URI ${options.redirectUri}`,
    };
  }
  const title = titleOf(answer);
  const unavailable = status >= 500 ? '; or BindID is failing for now: run the doctor again later' : '';
  return {
    id: 'authorize',
    status: 'fail',
    detail: `${endpoint} answered ${status}${title === undefined ? '' : ` ("${title}")`}: an error page, not the sign-in page`,
    fix: `${causes(options)}${unavailable}`,
  };
}

/** Make the app's authorization request once, redirects not followed, and judge the answer. */
export async function checkAuthorize(options: BindIdSetupOptions, endpoint: string, ctx: ProbeContext): Promise<BindIdSetupCheck> {
  if (!isSecureOrLoopback(new URL(endpoint))) {
    return { id: 'authorize', status: 'skipped', detail: 'not checked: the authorization endpoint is plain http off this machine (see endpoints)' };
  }
  const probeUrl = authorizeUrl(options, endpoint);
  const result = await ask(probeUrl.href, { headers: { accept: 'text/html' } }, ctx);
  if (!result.ok) return { id: 'authorize', status: 'fail', detail: result.problem, fix: 'check that this machine can reach the sign-in host' };
  return judge(options, endpoint, probeUrl, result.answer);
}

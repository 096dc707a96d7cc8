/**
 * `checkBindIdSetup(options)`: check an app's BindID settings against the real hosts before the first
 * sign-in fails. Every check is harmless there: it reads metadata, exchanges an invalid code (with and
 * without a dummy `code_verifier`), opens the sign-in page without following it, and sends a report
 * for an access token that cannot exist. See {@link BindIdSetupReport}.
 *
 * @module
 */
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { isSecureOrLoopback, type ProbeContext } from './ask.js';
import { checkAuthorize } from './authorize-check.js';
import { checkDiscovery, DISCOVERY_FAILED, type DiscoveryOutcome, skipped } from './discovery-checks.js';
import { shown } from './format.js';
import { checkEnvironment } from './environment-check.js';
import { checkClock, checkRedirectUri, DEFAULT_CALLBACK_PATH } from './local-checks.js';
import { Redactor } from './redactor.js';
import { checkPkce } from './pkce-check.js';
import { checkApiHost, checkClientAuth } from './remote-checks.js';
import { blameWhitespace, secretWhitespace } from './secret-whitespace.js';
import { checkSwap } from './swap-check.js';
import type { BindIdSetupCheck, BindIdSetupOptions, BindIdSetupReport } from './types.js';

const KNOWN: KnownKeys<BindIdSetupOptions> = {
  issuer: true,
  apiUrl: true,
  clientId: true,
  clientSecret: true,
  redirectUri: true,
  callbackPath: true,
  pkce: true,
  auxLink: true,
  timeoutMs: true,
  maxClockSkewSeconds: true,
  now: true,
};

/** The options, checked, with defaults; `clientSecret` trimmed (`secretWhitespace` says what was cut). */
interface Settings extends Required<Omit<BindIdSetupOptions, 'auxLink'>>, Pick<BindIdSetupOptions, 'auxLink'> {
  readonly rawSecret: string;
  readonly secretWhitespace: string | undefined;
  readonly callbackPathGiven: boolean;
}

/**
 * The options, checked as the library checks them: `issuer` and `apiUrl` must be absolute URLs,
 * https unless on this machine (`http://localhost`, `127.x.x.x`, `[::1]`), without credentials, a
 * query or a fragment: the library refuses anything else at start-up, and the doctor refuses it
 * before sending anything. The values are kept as given (a trailing slash is checked later).
 */
function readOptions(options: BindIdSetupOptions): Settings {
  const o = new OptionReader('checkBindIdSetup', options, KNOWN);
  const url = (key: 'issuer' | 'apiUrl', example: string): string => {
    o.baseUrl(key, example);
    return o.requiredString(key);
  };
  const rawSecret = o.requiredString('clientSecret', 'the client secret from the BindID Admin Portal');
  if (rawSecret.trim() === '') throw o.error('clientSecret', 'is only whitespace');
  const settings: Settings = {
    issuer: url('issuer', 'https://signin.bindid-sandbox.io'),
    apiUrl: url('apiUrl', 'https://api.bindid-sandbox.io'),
    clientId: o.requiredString('clientId', 'the client id from the BindID Admin Portal'),
    clientSecret: rawSecret.trim(),
    rawSecret,
    secretWhitespace: secretWhitespace(rawSecret),
    redirectUri: o.requiredString('redirectUri', 'https://app.example.com/bindid/callback'),
    callbackPath: o.string('callbackPath', DEFAULT_CALLBACK_PATH),
    callbackPathGiven: o.has('callbackPath'),
    pkce: o.boolean('pkce', true),
    ...readAuxLink(o),
    timeoutMs: o.integer('timeoutMs', 10_000, 100, 120_000),
    maxClockSkewSeconds: o.integer('maxClockSkewSeconds', 30, 1, 3600),
    now: o.fn<() => number>('now') ?? Date.now,
  };
  if (!settings.callbackPath.startsWith('/')) throw o.error('callbackPath', 'must start with "/", e.g. /bindid/callback');
  return settings;
}

/** `auxLink`, if given: an absolute https URL (http on this machine), as the library allows `bindid_aux_link`. */
function readAuxLink(o: OptionReader): { auxLink?: string } {
  if (!o.has('auxLink')) return {};
  const auxLink = o.requiredString('auxLink', 'https://app.example.com/other-sign-in');
  if (!URL.canParse(auxLink) || /\p{Cc}/u.test(auxLink) || !isSecureOrLoopback(new URL(auxLink))) {
    throw o.error('auxLink', 'must be an absolute https: URL (plain http: for localhost only), without control characters');
  }
  return { auxLink };
}

/**
 * Check the BindID settings of an app: that `issuer` and `apiUrl` are not hosts of two BindID
 * environments, discovery (no redirect, JSON, `issuer` equal to the configured
 * one, the endpoints, an RS256 key in the JWKS, the capabilities it advertises), that the token endpoint
 * accepts this client with `client_secret_post`, whether it answers an invalid code differently with a
 * `code_verifier` (PKCE with the secret), what `/authorize` answers to the app's request (redirects not
 * followed), that the API host answers a signed report with 401, the redirect URI's form, and the
 * local clock against the hosts' `Date` headers. A `warn` (a sign only a real sign-in confirms) leaves
 * `ok` true. When discovery fails, the checks that
 * need it are `skipped`; when the issuer and the API URL look swapped, one failure says so.
 *
 * Resolves with every check's outcome (it does not reject for a failed check); never puts the
 * secret (in any encoding), a token or an HMAC in a detail, nor a control character.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` (as a rejection) for a missing or malformed
 * option, e.g. a plain-http `issuer` or `apiUrl` off this machine; nothing is sent then.
 */
export async function checkBindIdSetup(options: BindIdSetupOptions): Promise<BindIdSetupReport> {
  const settings = readOptions(options);
  const redactor = new Redactor();
  redactor.add(settings.rawSecret);
  redactor.add(settings.clientSecret);
  const ctx: ProbeContext = { timeoutMs: settings.timeoutMs, now: settings.now, dates: [], redactor };
  const discovery = await checkDiscovery(settings.issuer, ctx);
  const swapped = discovery.found ? undefined : await checkSwap(settings, discovery, ctx);
  const remote = swapped ?? [...discovery.checks, ...(await checkCredentials(settings, discovery, ctx))];
  const whitespace = settings.secretWhitespace;
  const checks: BindIdSetupCheck[] = [
    ...remote.map((check) => (check.id === 'client-auth' && whitespace !== undefined ? blameWhitespace(check, whitespace) : check)),
    checkEnvironment(settings.issuer, settings.apiUrl),
    checkRedirectUri(settings.redirectUri, settings.callbackPath, settings.callbackPathGiven),
    checkClock(ctx.dates, settings.maxClockSkewSeconds),
  ].map((check) => clean(check, redactor));
  return { ok: checks.every((check) => check.status === 'pass' || check.status === 'warn'), checks };
}

/**
 * The client-auth, pkce, authorize and api-host checks, side by side; client-auth and pkce only
 * against a discovered token endpoint, authorize against a discovered authorization endpoint.
 */
function checkCredentials(settings: Settings, discovery: DiscoveryOutcome, ctx: ProbeContext): Promise<BindIdSetupCheck[]> {
  const { tokenEndpoint, authorizationEndpoint } = discovery;
  const none = (name: string): string => (discovery.found ? `not checked: the discovery document has no usable ${name}` : DISCOVERY_FAILED);
  return Promise.all([
    tokenEndpoint === undefined ? skipped('client-auth', none('token_endpoint')) : checkClientAuth(settings, tokenEndpoint, ctx),
    tokenEndpoint === undefined ? skipped('pkce', none('token_endpoint')) : checkPkce(settings, tokenEndpoint, ctx),
    authorizationEndpoint === undefined
      ? skipped('authorize', none('authorization_endpoint'))
      : checkAuthorize(settings, authorizationEndpoint, ctx),
    checkApiHost(settings, ctx),
  ]);
}

/**
 * The check as it may be shown: every form of every secret removed (a last guard: details are built
 * without them), then every control character escaped.
 */
function clean(check: BindIdSetupCheck, redactor: Redactor): BindIdSetupCheck {
  const safe = (text: string): string => shown(redactor.clean(text));
  return { ...check, detail: safe(check.detail), ...(check.fix === undefined ? {} : { fix: safe(check.fix) }) };
}

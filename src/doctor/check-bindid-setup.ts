/**
 * `checkBindIdSetup(options)`: check an app's BindID settings against the real hosts before the first
 * sign-in fails. Every check is harmless there: it reads metadata, exchanges an invalid code, and
 * sends a report for an access token that cannot exist. See {@link BindIdSetupReport}.
 *
 * @module
 */
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { checkDiscovery } from './discovery-checks.js';
import { checkClock, checkRedirectUri } from './local-checks.js';
import { type ProbeContext, Redactor } from './probe.js';
import { checkApiHost, checkClientAuth } from './remote-checks.js';
import type { BindIdSetupCheck, BindIdSetupOptions, BindIdSetupReport } from './types.js';

const KNOWN: KnownKeys<BindIdSetupOptions> = {
  issuer: true,
  apiUrl: true,
  clientId: true,
  clientSecret: true,
  redirectUri: true,
  callbackPath: true,
  timeoutMs: true,
  maxClockSkewSeconds: true,
  now: true,
};

/** The options, checked, with defaults. */
type Settings = Required<BindIdSetupOptions>;

function readOptions(options: BindIdSetupOptions): Settings {
  const o = new OptionReader('checkBindIdSetup', options, KNOWN);
  const httpUrl = (key: 'issuer' | 'apiUrl', example: string): string => {
    const value = o.requiredString(key, example);
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw o.error(key, `must be an absolute http(s) URL, for example ${example}`);
    }
    return value;
  };
  const settings: Settings = {
    issuer: httpUrl('issuer', 'https://signin.bindid-sandbox.io'),
    apiUrl: httpUrl('apiUrl', 'https://api.bindid-sandbox.io'),
    clientId: o.requiredString('clientId', 'the client id from the BindID Admin Portal'),
    clientSecret: o.requiredString('clientSecret', 'the client secret from the BindID Admin Portal'),
    redirectUri: o.requiredString('redirectUri', 'https://app.example.com/bindid/callback'),
    callbackPath: o.string('callbackPath', '/bindid/callback'),
    timeoutMs: o.integer('timeoutMs', 10_000, 100, 120_000),
    maxClockSkewSeconds: o.integer('maxClockSkewSeconds', 30, 1, 3600),
    now: o.fn<() => number>('now') ?? Date.now,
  };
  if (!settings.callbackPath.startsWith('/')) throw o.error('callbackPath', 'must start with "/", e.g. /bindid/callback');
  return settings;
}

/**
 * Check the BindID settings of an app: discovery (no redirect, JSON, `issuer` equal to the configured
 * one, the endpoints, an RS256 key in the JWKS), that the token endpoint accepts this client with
 * `client_secret_post`, that the API host answers a signed report with 401, the redirect URI's
 * form, and the local clock against the hosts' `Date` headers.
 *
 * Resolves with every check's outcome (it does not reject for a failed check); never puts the
 * secret, a token or an HMAC in a detail.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` (as a rejection) for a missing or malformed option.
 */
export async function checkBindIdSetup(options: BindIdSetupOptions): Promise<BindIdSetupReport> {
  const settings = readOptions(options);
  const redactor = new Redactor();
  redactor.add(settings.clientSecret);
  const ctx: ProbeContext = { timeoutMs: settings.timeoutMs, now: settings.now, dates: [], redactor };
  const [{ checks: discoveryChecks, discovered }, apiHost] = await Promise.all([
    checkDiscovery(settings.issuer, ctx),
    checkApiHost(settings, ctx),
  ]);
  const clientAuth = await checkClientAuth(settings, discovered, ctx);
  const checks: BindIdSetupCheck[] = [
    ...discoveryChecks,
    clientAuth,
    apiHost,
    checkRedirectUri(settings.redirectUri, settings.callbackPath),
    checkClock(ctx.dates, settings.maxClockSkewSeconds),
  ].map((check) => clean(check, redactor));
  return { ok: checks.every((check) => check.status === 'pass'), checks };
}

/** The check with every secret removed from its texts (a last guard: details are built without them). */
function clean(check: BindIdSetupCheck, redactor: Redactor): BindIdSetupCheck {
  return {
    ...check,
    detail: redactor.clean(check.detail),
    ...(check.fix === undefined ? {} : { fix: redactor.clean(check.fix) }),
  };
}

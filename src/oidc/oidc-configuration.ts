/**
 * BindID's OpenID endpoints, by discovery or from static `metadata`. A discovery showing a wrong configuration is `ERR_BINDID_CONFIGURATION`
 * (500, naming the fix); only an unreachable BindID (network, timeout, 5xx, 429) is the retryable `ERR_BINDID_UNAVAILABLE` (503).
 */
import * as oidc from 'openid-client';
import { BindIdFeedbackError, ErrorCode, errorCode, safeCause } from '../errors.js';
import { CLOCK_TOLERANCE_SECONDS } from '../internal/clock-tolerance.js';
import { isLoopback } from '../internal/is-loopback.js';
import type { OidcSettings } from './bindid-oidc-client.js';
import { urlProblem } from './static-metadata.js';

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
const CHECK_ISSUER = "Check issuer: it must be BindID's sign-in host (BINDID_HOSTS)";

export interface ConfigurationSettings extends Pick<OidcSettings, 'issuer' | 'clientId' | 'clientSecret' | 'timeoutMs' | 'metadata'> {
  /** How BindID is asked (discovery, token, JWKS). Default: `fetch`. */
  fetch?: oidc.CustomFetch | undefined;
}

/** The openid-client configuration: from the static metadata, or by discovery (one request). */
export async function oidcConfiguration(s: ConfigurationSettings): Promise<oidc.Configuration> {
  const clientMetadata: Partial<oidc.ClientMetadata> = {
    client_secret: s.clientSecret,
    id_token_signed_response_alg: 'RS256',
    // The ID token's times and an unlink's auth_time are checked with one tolerance.
    [oidc.clockTolerance]: CLOCK_TOLERANCE_SECONDS,
  };
  const auth = oidc.ClientSecretPost(s.clientSecret);
  const timeout = Math.ceil(s.timeoutMs / 1000);
  let config: oidc.Configuration;
  if (s.metadata) {
    config = new oidc.Configuration({ ...s.metadata }, s.clientId, clientMetadata, auth);
    config.timeout = timeout;
    if (s.fetch) config[oidc.customFetch] = s.fetch;
    const { issuer, authorization_endpoint, token_endpoint, jwks_uri } = s.metadata;
    if ([issuer, authorization_endpoint, token_endpoint, jwks_uri].some(isPlainHttp)) oidc.allowInsecureRequests(config);
  } else {
    const options: oidc.DiscoveryRequestOptions = { timeout };
    if (isPlainHttp(s.issuer)) options.execute = [oidc.allowInsecureRequests];
    if (s.fetch) options[oidc.customFetch] = s.fetch; // kept by the configuration for every later request
    config = await oidc.discovery(new URL(s.issuer), s.clientId, clientMetadata, auth, options).catch((err: unknown) => {
      throw discoveryError(err, s.issuer);
    });
    checkDiscovered(config.serverMetadata(), s.issuer);
  }
  return config; // the ID token's signature: BindIdOidcClient (id-token-signature.ts), not only the TLS channel
}

function isPlainHttp(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'http:' && isLoopback(url.hostname);
}

/** The discovered document must name exactly the configured issuer and give three https endpoints. */
function checkDiscovered(metadata: oidc.ServerMetadata, issuer: string): void {
  if (metadata.issuer !== issuer) {
    if (metadata.issuer.replace(/\/$/, '') !== issuer) throw otherIssuer(issuer, metadata.issuer);
    const fix = "Check that issuer is BindID's sign-in host (BINDID_HOSTS); if the tokens of this server really end with a slash, give static `metadata` with that issuer.";
    const problem = `names the issuer ${issuer}/ (with a trailing slash), but BindID's ID tokens name it without one, so every sign-in would fail. ${fix}`;
    throw configurationError(issuer, problem, 'discovery issuer mismatch');
  }
  for (const name of ENDPOINTS) {
    const value = metadata[name];
    const problem = typeof value === 'string' ? urlProblem(value) : 'missing';
    if (problem !== undefined) {
      const what = problem === 'missing' ? 'is missing' : `is unusable (${problem})`;
      throw configurationError(issuer, `has a ${name} that ${what}. Give the endpoints by hand with the \`metadata\` option.`, `discovery ${name} unusable`);
    }
  }
}

/** A failed discovery as a coded error: the configuration's fault, or BindID unavailable. */
export function discoveryError(err: unknown, issuer: string): BindIdFeedbackError {
  const { code, cause } = (err ?? {}) as { code?: unknown; cause?: unknown };
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && isResponse(cause)) {
    const status = cause.status;
    if (status >= 500 || status === 429) return unavailable(err, `discovery answered HTTP ${status}`);
    if (status >= 300 && status < 400) {
      const location = cause.headers.get('location');
      const to = location ? ` to ${printableUrl(location, issuer)}` : '';
      const fix = 'Set issuer to the host that serves the discovery document itself (BINDID_HOSTS), or give static `metadata`.';
      return configurationError(issuer, `answered with a redirect (HTTP ${status}${to}), which is not followed. ${fix}`, `discovery redirect ${status}`);
    }
    const problem = `answered HTTP ${status}: there is no discovery document there. ${CHECK_ISSUER}, not the API host.`;
    return configurationError(issuer, problem, `discovery answered ${status}`);
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_PARSE_ERROR' || code === 'OAUTH_INVALID_RESPONSE') {
    const problem = `did not answer with a JSON discovery document. ${CHECK_ISSUER}, not the API host or a web page.`;
    return configurationError(issuer, problem, `discovery ${String(code)}`);
  }
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    return otherIssuer(issuer, (cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer);
  }
  if (isUnreachable(err)) return unavailable(err, 'discovery failed');
  return configurationError(issuer, `failed. ${CHECK_ISSUER}.`, `discovery ${label(err)}`);
}

function isResponse(value: unknown): value is Response {
  const r = value as { status?: unknown; headers?: { get?: unknown } } | null | undefined;
  return typeof r?.status === 'number' && typeof r.headers?.get === 'function';
}

/** A network failure or timeout: openid-client passes fetch's TypeError on, or wraps it (another realm) in a ClientError. */
export function isUnreachable(err: unknown): boolean {
  const { code, cause } = (err ?? {}) as { code?: unknown; cause?: unknown };
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
  return [err, cause].some((e) => {
    const { name, message } = (e ?? {}) as { name?: unknown; message?: unknown };
    return name === 'TimeoutError' || name === 'AbortError' || (name === 'TypeError' && typeof message === 'string' && /fetch failed/i.test(message));
  });
}

function unavailable(err: unknown, description: string): BindIdFeedbackError {
  const cause = safeCause(err, `${description}: ${label(err)}`);
  const message = 'BindID sign-in is unavailable (discovery failed). Try again in a moment.';
  return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, message, { status: 503, retryable: true, cause });
}

/** `ERR_BINDID_CONFIGURATION`: the message starts with where discovery was asked and ends with the fix. */
function configurationError(issuer: string, problem: string, description: string): BindIdFeedbackError {
  const message = `express-bindid: BindID discovery at ${issuer}/.well-known/openid-configuration ${problem}`;
  return new BindIdFeedbackError(ErrorCode.CONFIGURATION, message, { status: 500, retryable: false, cause: safeCause(undefined, description) });
}

function otherIssuer(issuer: string, found: unknown): BindIdFeedbackError {
  const fix = "Set issuer to BindID's sign-in host exactly (BINDID_HOSTS), or give static `metadata`.";
  return configurationError(issuer, `names another issuer (${printableUrl(found)}). ${fix}`, 'discovery issuer mismatch');
}

/** A URL from BindID's answer as a message may show it: parsed, origin and path only, bounded. */
function printableUrl(value: unknown, base?: string): string {
  if (typeof value !== 'string') return 'none';
  if (!URL.canParse(value, base)) return 'not a URL';
  const url = new URL(value, base);
  const shown = `${url.origin}${url.pathname}`;
  return /^[\x21-\x7e]{1,200}$/.test(shown) ? shown : 'an unprintable URL';
}

function label(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return code;
  return err instanceof Error ? err.name.replace(/[^A-Za-z]/g, '').slice(0, 40) || 'Error' : 'unknown';
}

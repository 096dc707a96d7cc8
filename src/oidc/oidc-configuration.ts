/**
 * BindID's OpenID endpoints: by discovery at the issuer, or from static `metadata`. A discovery that
 * shows a wrong configuration is `ERR_BINDID_CONFIGURATION` (500, not retryable, naming the fix); only
 * an unreachable BindID (network, timeout, 5xx, 429) is the retryable `ERR_BINDID_UNAVAILABLE` (503).
 *
 * @module
 */
import * as oidc from 'openid-client';
import { BindIdFeedbackError, ErrorCode, errorCode, safeCause } from '../errors.js';
import { CLOCK_TOLERANCE_SECONDS } from '../internal/clock-tolerance.js';
import { isLoopback } from '../internal/is-loopback.js';
import { type StaticOidcMetadata, urlProblem } from './static-metadata.js';

const ENDPOINTS = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;

export interface ConfigurationSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  metadata?: StaticOidcMetadata | undefined;
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
    if ([s.metadata.issuer, ...ENDPOINTS.map((k) => s.metadata?.[k] ?? '')].some(isPlainHttp)) oidc.allowInsecureRequests(config);
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
    throw configurationError(
      issuer,
      `names the issuer ${issuer}/ (with a trailing slash), but BindID's ID tokens name it without one, so every sign-in would fail. ` +
        'Check that issuer is BindID\'s sign-in host (BINDID_HOSTS); if the tokens of this server really end with a slash, give static `metadata` with that issuer.',
      'discovery issuer mismatch',
    );
  }
  for (const name of ENDPOINTS) {
    const value = metadata[name];
    const problem = typeof value === 'string' ? urlProblem(value) : 'is missing';
    if (problem !== undefined) {
      throw configurationError(
        issuer,
        `has a ${name} that ${problem === 'is missing' ? 'is missing' : `is unusable (${problem})`}. Give the endpoints by hand with the \`metadata\` option.`,
        `discovery ${name} unusable`,
      );
    }
  }
}

/** A failed discovery as a coded error: the configuration's fault, or BindID unavailable. */
export function discoveryError(err: unknown, issuer: string): BindIdFeedbackError {
  const code = (err as { code?: unknown } | null)?.code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && isResponse(cause)) {
    const status = cause.status;
    if (status >= 500 || status === 429) return unavailable(err, `discovery answered HTTP ${status}`);
    if (status >= 300 && status < 400) {
      const location = cause.headers.get('location');
      const to = location ? printableUrl(location, issuer) : '';
      return configurationError(
        issuer,
        `answered with a redirect (HTTP ${status}${to ? ` to ${to}` : ''}), which is not followed. Set issuer to the host that serves the ` +
          'discovery document itself (BINDID_HOSTS), or give static `metadata`.',
        `discovery redirect ${status}`,
      );
    }
    return configurationError(
      issuer,
      `answered HTTP ${status}: there is no discovery document there. Check issuer: it must be BindID's sign-in host (BINDID_HOSTS), not the API host.`,
      `discovery answered ${status}`,
    );
  }
  if (code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_PARSE_ERROR' || code === 'OAUTH_INVALID_RESPONSE') {
    return configurationError(
      issuer,
      'did not answer with a JSON discovery document. Check issuer: it must be BindID\'s sign-in host (BINDID_HOSTS), not the API host or a web page.',
      `discovery ${String(code)}`,
    );
  }
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
    return otherIssuer(issuer, (cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer);
  }
  if (isUnreachable(err)) return unavailable(err, 'discovery failed');
  return configurationError(issuer, 'failed. Check issuer: it must be BindID\'s sign-in host (BINDID_HOSTS).', `discovery ${label(err)}`);
}

function isResponse(value: unknown): value is Response {
  const r = value as { status?: unknown; headers?: { get?: unknown } } | null | undefined;
  return typeof r?.status === 'number' && typeof r.headers?.get === 'function';
}

/** A network failure or timeout: openid-client passes fetch's TypeError on, or wraps it (another realm) in a ClientError. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
  for (let e: unknown = err, level = 0; level < 2 && e !== null && typeof e === 'object'; e = (e as { cause?: unknown }).cause, level++) {
    const { name, message } = e as { name?: unknown; message?: unknown };
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (name === 'TypeError' && typeof message === 'string' && /fetch failed/i.test(message)) return true;
  }
  return false;
}

function unavailable(err: unknown, description: string): BindIdFeedbackError {
  return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'BindID sign-in is unavailable (discovery failed). Try again in a moment.', {
    status: 503,
    retryable: true,
    cause: safeCause(err, `${description}: ${label(err)}`),
  });
}

/** `ERR_BINDID_CONFIGURATION`: the message starts with where discovery was asked and ends with the fix. */
function configurationError(issuer: string, problem: string, description: string): BindIdFeedbackError {
  return new BindIdFeedbackError(
    ErrorCode.CONFIGURATION,
    `express-bindid: BindID discovery at ${issuer}/.well-known/openid-configuration ${problem}`,
    { status: 500, retryable: false, cause: safeCause(undefined, description) },
  );
}

function otherIssuer(issuer: string, found: unknown): BindIdFeedbackError {
  return configurationError(
    issuer,
    `names another issuer (${printableUrl(found)}). Set issuer to BindID's sign-in host exactly (BINDID_HOSTS), or give static \`metadata\`.`,
    'discovery issuer mismatch',
  );
}

/** A URL from BindID's answer as a message may show it: parsed, origin and path only, bounded. */
function printableUrl(value: unknown, base?: string): string {
  if (typeof value !== 'string') return 'none';
  try {
    const url = new URL(value, base);
    const shown = `${url.origin}${url.pathname}`;
    return /^[\x21-\x7e]{1,200}$/.test(shown) ? shown : 'an unprintable URL';
  } catch {
    return 'not a URL';
  }
}

function label(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return code;
  return err instanceof Error ? err.name.replace(/[^A-Za-z]/g, '').slice(0, 40) || 'Error' : 'unknown';
}

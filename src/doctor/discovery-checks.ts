/**
 * The checks of the sign-in host's metadata: the discovery document (read without following
 * redirects), its `issuer` against the configured one, its endpoints, an RS256 key in the JWKS, and
 * the capabilities it advertises (`capabilities-check.ts`).
 *
 * @module
 */
import { ask, isSecureOrLoopback, jsonObject, type ProbeContext, redirected } from './ask.js';
import { checkCapabilities } from './capabilities-check.js';
import { SIGN_IN_HOSTS_TEXT } from './known-hosts.js';
import type { ProbeResult } from './probe.js';
import type { BindIdSetupCheck, BindIdSetupCheckId } from './types.js';

/** What discovery found: its checks, and what the later checks need. */
export interface DiscoveryOutcome {
  readonly checks: BindIdSetupCheck[];
  /** Whether a discovery document was read (200, JSON, no redirect). */
  readonly found: boolean;
  /** Why there is none, and whether the host answered at all. */
  readonly failure?: { readonly problem: string; readonly answered: boolean };
  /** The document's token endpoint, when it has a usable one: the only place the secret may go. */
  readonly tokenEndpoint?: string;
  /** The document's authorization endpoint, when it has a usable one (the `/authorize` probe's). */
  readonly authorizationEndpoint?: string;
}

/** The `detail` of the checks that discovery's failure left unchecked. */
export const DISCOVERY_FAILED = 'not checked: discovery failed';

const ISSUER_FIX = `set issuer to BindID's sign-in host exactly as ID tokens carry it in "iss", without a trailing slash: ${SIGN_IN_HOSTS_TEXT}`;

function pass(id: BindIdSetupCheckId, detail: string): BindIdSetupCheck {
  return { id, status: 'pass', detail };
}

function fail(id: BindIdSetupCheckId, detail: string, fix: string): BindIdSetupCheck {
  return { id, status: 'fail', detail, fix };
}

/** A check not made because an earlier one failed (`detail` says which). */
export function skipped(id: BindIdSetupCheckId, detail: string): BindIdSetupCheck {
  return { id, status: 'skipped', detail };
}

/** The issuer without trailing slashes: the base of the well-known URL. */
export function issuerBase(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** The well-known URL of `issuer`'s discovery document. */
export function discoveryUrl(issuer: string): string {
  return `${issuerBase(issuer)}/.well-known/openid-configuration`;
}

/** The discovery document in `result`, or why there is none. */
export function readDocument(url: string, result: ProbeResult): { document: Record<string, unknown> } | { problem: string } {
  if (!result.ok) return { problem: result.problem };
  const { answer } = result;
  const redirect = redirected(url, answer);
  if (redirect !== undefined) return { problem: `${redirect}; the library does not follow redirects here` };
  if (answer.status !== 200) return { problem: `${url} answered ${answer.status}` };
  const document = jsonObject(answer);
  if (document === undefined) return { problem: `${url} answered ${answer.mediaType || 'a body'} that is not a JSON object` };
  return { document };
}

/** Run the discovery, issuer, endpoints and JWKS checks. */
export async function checkDiscovery(issuer: string, ctx: ProbeContext): Promise<DiscoveryOutcome> {
  const url = discoveryUrl(issuer);
  const result = await ask(url, {}, ctx);
  const read = readDocument(url, result);
  if ('problem' in read) {
    const answered = result.ok || result.answered === true;
    const fix = answered ? ISSUER_FIX : 'check the issuer URL and that this machine can reach it (DNS, proxy, firewall)';
    const unchecked = (['issuer', 'endpoints', 'jwks', 'capabilities'] as const).map((id) => skipped(id, DISCOVERY_FAILED));
    return { checks: [fail('discovery', read.problem, fix), ...unchecked], found: false, failure: { problem: read.problem, answered } };
  }
  const { document } = read;
  const endpoints = endpointsOf(document);
  const checks = [
    pass('discovery', `200 JSON at ${url}`),
    checkIssuer(issuer, document.issuer),
    checkEndpoints(endpoints),
    await checkJwks(endpoints.jwks_uri, ctx),
    checkCapabilities(document),
  ];
  const { token_endpoint: tokenEndpoint, authorization_endpoint: authorizationEndpoint } = endpoints;
  return {
    checks,
    found: true,
    ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
    ...(authorizationEndpoint === undefined ? {} : { authorizationEndpoint }),
  };
}

function checkIssuer(configured: string, advertised: unknown): BindIdSetupCheck {
  if (typeof advertised !== 'string') return fail('issuer', 'the discovery document has no "issuer"', ISSUER_FIX);
  if (advertised === configured) return pass('issuer', `"${advertised}" equals the configured issuer`);
  const slash = issuerBase(configured) === advertised ? ' (the configured one has a trailing slash)' : '';
  return fail(
    'issuer',
    `the discovery document says "${advertised}", the configured issuer is "${configured}"${slash}: every ID token would be refused`,
    `if this is the right host, set issuer to exactly "${advertised}"; otherwise ${ISSUER_FIX}`,
  );
}

type Endpoints = Partial<Record<'authorization_endpoint' | 'token_endpoint' | 'jwks_uri', string>>;

/** The three endpoints the library needs, where they are absolute http(s) URLs. */
function endpointsOf(document: Record<string, unknown>): Endpoints {
  const endpoints: Endpoints = {};
  for (const name of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    const value = document[name];
    if (typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)) endpoints[name] = value;
  }
  return endpoints;
}

function checkEndpoints(endpoints: Endpoints): BindIdSetupCheck {
  const names = ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const;
  const missing = names.filter((name) => endpoints[name] === undefined);
  const insecure = names.filter((name) => {
    const value = endpoints[name];
    return value !== undefined && !isSecureOrLoopback(new URL(value));
  });
  if (missing.length === 0 && insecure.length === 0) {
    return pass('endpoints', names.map((name) => `${name} ${endpoints[name]}`).join(', '));
  }
  const problems = [
    ...(missing.length > 0 ? [`missing or not an http(s) URL: ${missing.join(', ')}`] : []),
    ...(insecure.length > 0 ? [`plain http off this machine: ${insecure.join(', ')}`] : []),
  ];
  return fail('endpoints', problems.join('; '), `the issuer does not look like BindID's sign-in host: ${ISSUER_FIX}`);
}

async function checkJwks(jwksUri: string | undefined, ctx: ProbeContext): Promise<BindIdSetupCheck> {
  const fix = `the issuer does not look like BindID's sign-in host (BindID signs ID tokens with RS256): ${ISSUER_FIX}`;
  if (jwksUri === undefined) return skipped('jwks', 'not checked: the discovery document has no usable jwks_uri');
  const result = await ask(jwksUri, {}, ctx);
  if (!result.ok) return fail('jwks', result.problem, result.answered ? fix : 'check that this machine can reach the sign-in host');
  const redirect = redirected(jwksUri, result.answer);
  if (redirect !== undefined) return fail('jwks', redirect, fix);
  const keys = jsonObject(result.answer)?.keys;
  if (result.answer.status !== 200 || !Array.isArray(keys)) {
    return fail('jwks', `${jwksUri} answered ${result.answer.status} without a "keys" array`, fix);
  }
  const rs256 = keys.filter(
    (key: Record<string, unknown> | null) =>
      key !== null &&
      typeof key === 'object' &&
      key.kty === 'RSA' &&
      (key.use === undefined || key.use === 'sig') &&
      (key.alg === undefined || key.alg === 'RS256') &&
      typeof key.n === 'string' &&
      typeof key.e === 'string',
  );
  if (rs256.length === 0) return fail('jwks', `${jwksUri} has ${keys.length} key(s), none an RSA signing key for RS256`, fix);
  return pass('jwks', `${rs256.length} RS256 signing key(s) at ${jwksUri}`);
}

/**
 * The checks of the sign-in host's metadata: the discovery document (read without following
 * redirects), its `issuer` against the configured one, its endpoints, and an RS256 key in the JWKS.
 *
 * @module
 */
import { isLoopback } from '../internal/is-loopback.js';
import { jsonObject, type ProbeContext, probe, redirected } from './probe.js';
import type { BindIdSetupCheck } from './types.js';

/** What the later checks need from discovery. */
export interface Discovered {
  /** The token endpoint: from the document, or BindID's documented `<issuer>/token`. */
  readonly tokenEndpoint: string;
  /** Whether `tokenEndpoint` came from the document. */
  readonly fromDocument: boolean;
}

const ISSUER_FIX =
  'set issuer to BindID\'s sign-in host exactly as ID tokens carry it in "iss", without a trailing slash: ' +
  'https://signin.bindid-sandbox.io (sandbox), https://signin.identity.security or https://signin.bindid.io (production), ' +
  'https://signin.eu.identity.security (production EU)';

function pass(id: BindIdSetupCheck['id'], detail: string): BindIdSetupCheck {
  return { id, status: 'pass', detail };
}

function fail(id: BindIdSetupCheck['id'], detail: string, fix: string): BindIdSetupCheck {
  return { id, status: 'fail', detail, fix };
}

/** The issuer without trailing slashes: the base of the well-known URL. */
function issuerBase(issuer: string): string {
  return issuer.replace(/\/+$/, '');
}

/** Run the discovery, issuer, endpoints and JWKS checks. */
export async function checkDiscovery(
  issuer: string,
  ctx: ProbeContext,
): Promise<{ checks: BindIdSetupCheck[]; discovered: Discovered }> {
  const url = `${issuerBase(issuer)}/.well-known/openid-configuration`;
  const fallback: Discovered = { tokenEndpoint: `${issuerBase(issuer)}/token`, fromDocument: false };
  const notChecked = (problem: string): BindIdSetupCheck[] => [
    fail('issuer', `not checked: ${problem}`, 'fix the discovery check first'),
    fail('endpoints', `not checked: ${problem}`, 'fix the discovery check first'),
    fail('jwks', `not checked: ${problem}`, 'fix the discovery check first'),
  ];
  const result = await probe(url, {}, ctx);
  if (!result.ok) {
    const fix = 'check the issuer URL and that this machine can reach it (DNS, proxy, firewall)';
    return { checks: [fail('discovery', result.problem, fix), ...notChecked('no discovery document')], discovered: fallback };
  }
  const { answer } = result;
  const redirect = redirected(url, answer);
  const document = jsonObject(answer);
  let problem: string | undefined;
  if (redirect !== undefined) problem = `${redirect}; the library does not follow redirects here`;
  else if (answer.status !== 200) problem = `${url} answered ${answer.status}`;
  else if (document === undefined) problem = `${url} answered ${answer.mediaType || 'a body'} that is not a JSON object`;
  if (problem !== undefined || document === undefined) {
    const checks = [fail('discovery', ctx.redactor.clean(problem ?? ''), ISSUER_FIX), ...notChecked('no discovery document')];
    return { checks, discovered: fallback };
  }
  const endpoints = endpointsOf(document);
  const checks = [
    pass('discovery', `200 JSON at ${url}`),
    checkIssuer(issuer, document.issuer),
    checkEndpoints(endpoints),
    await checkJwks(endpoints.jwks_uri, ctx),
  ];
  const tokenEndpoint = endpoints.token_endpoint;
  return {
    checks,
    discovered: tokenEndpoint === undefined ? fallback : { tokenEndpoint, fromDocument: true },
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
    return value !== undefined && new URL(value).protocol !== 'https:' && !isLoopback(new URL(value).hostname);
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
  if (jwksUri === undefined) return fail('jwks', 'not checked: the discovery document has no jwks_uri', fix);
  const result = await probe(jwksUri, {}, ctx);
  if (!result.ok) return fail('jwks', result.problem, 'check that this machine can reach the sign-in host');
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

/**
 * The `metadata` option: OpenID provider metadata given by hand instead of discovery, read and
 * checked at the factory. Kept apart from `oidc-configuration.ts` so the public types never reach
 * openid-client's (which is bundled, not a dependency: docs/architecture.md, "Module format").
 *
 * @module
 */
import { isLoopback } from '../internal/is-loopback.js';
import type { KnownKeys, OptionReader } from '../internal/option-reader.js';

/** OpenID provider metadata given by hand instead of discovery: all four, or none. */
export interface StaticOidcMetadata {
  /** The exact `iss` of BindID's ID tokens: the `issuer` option, optionally with a trailing slash. */
  issuer: string;
  /** E.g. `https://signin.bindid-sandbox.io/authorize`. */
  authorization_endpoint: string;
  /** E.g. `https://signin.bindid-sandbox.io/token`. */
  token_endpoint: string;
  /** E.g. `https://signin.bindid-sandbox.io/jwks`. */
  jwks_uri: string;
}

export const STATIC_METADATA_KEYS: KnownKeys<StaticOidcMetadata> = {
  issuer: true,
  authorization_endpoint: true,
  token_endpoint: true,
  jwks_uri: true,
};

/** Read the `metadata` option at the factory: all four URLs or none, https unless loopback. */
export function readStaticMetadata(o: OptionReader, key: string, issuer: string): StaticOidcMetadata | undefined {
  if (!o.has(key)) return undefined;
  const m = o.nested(key, STATIC_METADATA_KEYS);
  const names = Object.keys(STATIC_METADATA_KEYS) as Array<keyof StaticOidcMetadata>;
  const missing = names.filter((name) => !m.has(name));
  if (missing.length > 0) {
    throw o.error(key, `needs all four of ${names.join(', ')} (missing: ${missing.join(', ')}); leave it out to use discovery`);
  }
  const out = {} as StaticOidcMetadata;
  for (const name of names) {
    const problem = urlProblem(m.raw(name));
    if (problem !== undefined) throw m.error(name, problem);
    out[name] = m.raw(name) as string;
  }
  if (out.issuer.replace(/\/$/, '') !== issuer) {
    throw m.error('issuer', `must be the issuer option (${issuer}), as BindID's ID tokens name it in iss`);
  }
  return out;
}

/** Why `value` is not a usable endpoint URL (https, or http on loopback; no credentials or fragment), if it is not. */
export function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'must be an absolute https: URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https: URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return 'must use https: (plain http is only allowed for localhost, 127.0.0.1 and [::1])';
  }
  if (url.username || url.password || url.hash) return 'must not contain credentials or a fragment';
  return undefined;
}


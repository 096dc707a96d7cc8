/** The `metadata` option, apart from `oidc-configuration.ts` so the public types never reach openid-client's (bundled, not a dependency). */
import { isLoopback } from '../internal/is-loopback.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema } from '../internal/option-schema.js';

function endpoint() {
  return option.requiredCustom<string, string>((o, key) => {
    const problem = urlProblem(o.raw(key));
    if (problem !== undefined) throw o.error(key, problem);
    return o.raw(key) as string;
  });
}

const METADATA_OPTIONS = {
  /** The exact `iss` of BindID's ID tokens: the `issuer` option, optionally with a trailing slash. */
  issuer: endpoint(),
  /** E.g. `https://signin.bindid-sandbox.io/authorize`. */
  authorization_endpoint: endpoint(),
  /** E.g. `https://signin.bindid-sandbox.io/token`. */
  token_endpoint: endpoint(),
  /** E.g. `https://signin.bindid-sandbox.io/jwks`. */
  jwks_uri: endpoint(),
};

/** OpenID provider metadata given by hand instead of discovery: all four, or none. */
export interface StaticOidcMetadata extends OptionsOf<typeof METADATA_OPTIONS> {}

/** Read the `metadata` option at the factory: all four URLs or none, https unless loopback. */
export function readStaticMetadata(o: OptionReader, key: string, issuer: string): StaticOidcMetadata | undefined {
  if (!o.has(key)) return undefined;
  const m = o.nested(key, METADATA_OPTIONS);
  const names = Object.keys(METADATA_OPTIONS);
  const missing = names.filter((name) => !m.has(name));
  if (missing.length > 0) {
    throw o.error(key, `needs all four of ${names.join(', ')} (missing: ${missing.join(', ')}); leave it out to use discovery`);
  }
  const metadata = readSchema(m, METADATA_OPTIONS);
  if (metadata.issuer.replace(/\/$/, '') !== issuer) {
    throw m.error('issuer', `must be the issuer option (${issuer}), as BindID's ID tokens name it in iss`);
  }
  return metadata;
}

/** Why `value` is not a usable endpoint URL (https, or http on loopback; no credentials or fragment), if it is not. */
export function urlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !URL.canParse(value)) return 'must be an absolute https: URL';
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return 'must use https: (plain http is only allowed for localhost, 127.0.0.1 and [::1])';
  }
  if (url.username || url.password || url.hash) return 'must not contain credentials or a fragment';
  return undefined;
}

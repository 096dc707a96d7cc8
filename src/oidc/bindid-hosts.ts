/** BindID's hosts per environment. Evidence and confidence: docs/bindid-hosts.md. */
import type { OptionReader } from '../internal/option-reader.js';

/** The two hosts of one BindID environment. */
export interface BindIdHosts {
  /** The sign-in host: the OpenID issuer, the `iss` of every ID token. */
  readonly issuer: string;
  /** The API host: `/session-feedback`. */
  readonly apiUrl: string;
}

/** The names of the presets in {@link BINDID_HOSTS}. */
export type BindIdEnvironment = 'sandbox' | 'production' | 'productionEu';

/**
 * BindID's hosts per environment, to spread into the options (`bindIdRouter({ ...BINDID_HOSTS.production, clientId, ... })`).
 * A later `issuer` overrides it, e.g. `'https://signin.bindid.io'` (BindID's older pages) if your tenant's admin portal names it.
 *
 * - `sandbox`: `https://signin.bindid-sandbox.io`, `https://api.bindid-sandbox.io`
 * - `production`: `https://signin.identity.security`, `https://api.bindid.io`
 * - `productionEu`: `https://signin.eu.identity.security`, `https://api.eu.bindid.io`
 */
export const BINDID_HOSTS: Readonly<Record<BindIdEnvironment, BindIdHosts>> = Object.freeze({
  sandbox: Object.freeze({ issuer: 'https://signin.bindid-sandbox.io', apiUrl: 'https://api.bindid-sandbox.io' }),
  production: Object.freeze({ issuer: 'https://signin.identity.security', apiUrl: 'https://api.bindid.io' }),
  productionEu: Object.freeze({ issuer: 'https://signin.eu.identity.security', apiUrl: 'https://api.eu.bindid.io' }),
});

/** Production's sign-in host on BindID's older pages (docs/bindid-hosts.md). */
const OLDER_PRODUCTION_ISSUER = 'https://signin.bindid.io';

/** The environment whose host `url` is (as `issuer` or as `apiUrl`), or `undefined` for any other host. */
export function environmentOf(url: string, side: keyof BindIdHosts): BindIdEnvironment | undefined {
  const origin = URL.canParse(url) ? new URL(url).origin : '';
  if (side === 'issuer' && origin === OLDER_PRODUCTION_ISSUER) return 'production';
  return (Object.keys(BINDID_HOSTS) as BindIdEnvironment[]).find((name) => BINDID_HOSTS[name][side] === origin);
}

/** `mixed`: known hosts of two environments; `partly-known`: one known host; `undefined` when they agree or neither is known (the emulator, a proxy). */
export type EnvironmentMix =
  | { readonly kind: 'mixed'; readonly issuer: BindIdEnvironment; readonly apiUrl: BindIdEnvironment }
  | { readonly kind: 'partly-known'; readonly known: keyof BindIdHosts; readonly environment: BindIdEnvironment };

/** How `issuer` and `apiUrl` relate to BindID's environments. */
export function environmentMix(issuer: string, apiUrl: string): EnvironmentMix | undefined {
  const [ofIssuer, ofApi] = [environmentOf(issuer, 'issuer'), environmentOf(apiUrl, 'apiUrl')];
  if (ofIssuer && ofApi) return ofIssuer === ofApi ? undefined : { kind: 'mixed', issuer: ofIssuer, apiUrl: ofApi };
  if (ofIssuer) return { kind: 'partly-known', known: 'issuer', environment: ofIssuer };
  if (ofApi) return { kind: 'partly-known', known: 'apiUrl', environment: ofApi };
  return undefined;
}

export const PARTLY_KNOWN_HOSTS_WARNING = 'EXPRESS_BINDID_PARTLY_KNOWN_HOSTS';

/** Refuse hosts of two environments (one's access token is unknown to the other's API); warn when only one is known (it may be a proxy). */
export function assertOneEnvironment(o: OptionReader, issuer: string, apiUrl: string): void {
  const mix = environmentMix(issuer, apiUrl);
  if (mix?.kind === 'mixed') {
    const hosts = BINDID_HOSTS[mix.issuer];
    throw o.error(
      'issuer',
      `(${issuer}) is BindID's ${mix.issuer} sign-in host, but option \`apiUrl\` (${apiUrl}) is its ${mix.apiUrl} API host: ` +
        `an access token of one environment is unknown to the other's API, so every report would fail with ERR_BINDID_UNAUTHORIZED. ` +
        `Use the hosts of one environment, e.g. ...BINDID_HOSTS.${mix.issuer} (issuer ${hosts.issuer}, apiUrl ${hosts.apiUrl})`,
    );
  }
  if (mix?.kind === 'partly-known') {
    const [known, other] = mix.known === 'issuer' ? (['issuer', 'apiUrl'] as const) : (['apiUrl', 'issuer'] as const);
    process.emitWarning(
      `express-bindid: ${known} is BindID's ${mix.environment} host but ${other} (${mix.known === 'issuer' ? apiUrl : issuer}) is not a known BindID host: ` +
        `if it is not a proxy of BindID's ${mix.environment} ${other === 'apiUrl' ? 'API' : 'sign-in'} host (${BINDID_HOSTS[mix.environment][other]}), every report may fail with ERR_BINDID_UNAUTHORIZED.`,
      { code: PARTLY_KNOWN_HOSTS_WARNING },
    );
  }
}

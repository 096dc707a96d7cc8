/**
 * BindID's hosts per environment: the sign-in host (the OpenID issuer, the `iss` of every ID token)
 * and the API host (`/session-feedback`). Evidence and confidence: docs/bindid-hosts.md.
 *
 * @module
 */

/** The two hosts of one BindID environment, as `issuer` and `apiUrl` options take them. */
export interface BindIdHosts {
  /** The sign-in host: OpenID issuer (`/authorize`, `/token`, `/jwks`), no trailing slash. */
  readonly issuer: string;
  /** The API host: `/session-feedback`. */
  readonly apiUrl: string;
}

/** The names of the presets in {@link BINDID_HOSTS}. */
export type BindIdEnvironment = 'sandbox' | 'production' | 'productionEu';

/**
 * BindID's hosts per environment, to spread into the router's options
 * (`bindIdRouter({ ...BINDID_HOSTS.production, clientId, ... })`) or to pick from
 * (`issuer: BINDID_HOSTS.productionEu.issuer`). An explicit `issuer` or `apiUrl` after the spread
 * overrides it, e.g. `issuer: 'https://signin.bindid.io'`, the production sign-in host of BindID's
 * older pages, if the admin portal of your tenant still names it.
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

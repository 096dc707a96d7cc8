/**
 * BindID's hosts as the doctor knows them: for the fixes it prints, and to tell that the issuer and
 * the API URL were swapped. The layer table keeps the doctor out of `oidc/`, so this is its own copy
 * of `BINDID_HOSTS` (src/oidc/bindid-hosts.ts) plus `https://signin.bindid.io`, the production
 * sign-in host of BindID's older pages (docs/bindid-hosts.md); test/doctor/known-hosts.test.ts
 * fails when the two tables drift apart.
 *
 * @module
 */

/** One BindID environment: its sign-in hosts (the issuer) and its API host. */
export interface KnownEnvironment {
  readonly name: string;
  readonly issuers: readonly string[];
  readonly apiUrl: string;
}

/** BindID's environments, sandbox first. */
export const KNOWN_ENVIRONMENTS: readonly KnownEnvironment[] = [
  { name: 'sandbox', issuers: ['https://signin.bindid-sandbox.io'], apiUrl: 'https://api.bindid-sandbox.io' },
  { name: 'production', issuers: ['https://signin.identity.security', 'https://signin.bindid.io'], apiUrl: 'https://api.bindid.io' },
  { name: 'production EU', issuers: ['https://signin.eu.identity.security'], apiUrl: 'https://api.eu.bindid.io' },
];

/** `https://a (sandbox), https://b or https://c (production), ...`. */
function listed(hosts: (environment: KnownEnvironment) => readonly string[]): string {
  return KNOWN_ENVIRONMENTS.map((environment) => `${hosts(environment).join(' or ')} (${environment.name})`).join(', ');
}

/** BindID's sign-in hosts, for a fix. */
export const SIGN_IN_HOSTS_TEXT = listed((environment) => environment.issuers);

/** BindID's API hosts, for a fix. */
export const API_HOSTS_TEXT = listed((environment) => [environment.apiUrl]);

/** The origin of `url`, or `''` when it is not a URL. */
function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '';
}

/** Whether `url` is on one of BindID's sign-in hosts. */
export function isKnownSignInHost(url: string): boolean {
  return KNOWN_ENVIRONMENTS.some((environment) => environment.issuers.includes(originOf(url)));
}

/** Whether `url` is on one of BindID's API hosts. */
export function isKnownApiHost(url: string): boolean {
  return KNOWN_ENVIRONMENTS.some((environment) => environment.apiUrl === originOf(url));
}

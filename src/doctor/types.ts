/**
 * Public types of {@link checkBindIdSetup} (`express-bindid`) and the `bindid-doctor` CLI.
 *
 * @module
 */

/** Options of `checkBindIdSetup`: the settings the app gives the library, checked against BindID. */
export interface BindIdSetupOptions {
  /**
   * The OIDC issuer: BindID's sign-in host, exactly as ID tokens carry it in `iss` (no trailing
   * slash), e.g. `https://signin.bindid-sandbox.io`.
   */
  issuer: string;
  /** BindID's service-provider API base URL, e.g. `https://api.bindid-sandbox.io`. */
  apiUrl: string;
  /** The client id of the application (BindID Admin Portal). */
  clientId: string;
  /**
   * The client secret. Sent only over https (or to this machine), only to a discovered token endpoint
   * on the issuer's host, and used for the report's HMAC; never printed. Leading or trailing
   * whitespace (a newline from a file) fails `client-auth`: the library refuses such a secret.
   */
  clientSecret: string;
  /** The redirect URI registered for the application, e.g. `https://app.example.com/bindid/callback`. */
  redirectUri: string;
  /**
   * The path the redirect URI must have: the path of the app's callback route. Default
   * `/bindid/callback`, the router's default `paths.callback`; give it for a router with another
   * `paths.callback`, an app with its own callback route, or `BindIdStrategy` with another callback URL.
   */
  callbackPath?: string;
  /**
   * Whether the app uses PKCE (the library's `pkce` option, default `true`): the `/authorize` probe
   * sends a `code_challenge` when it does, and the `pkce` check says whether BindID's answers suggest
   * turning it off.
   */
  pkce?: boolean;
  /**
   * The app's `bindid_aux_link` (`authorizationParams.bindid_aux_link`), if it sets one: the
   * `/authorize` probe sends it, so an unregistered prefix shows there. An absolute `https:` URL
   * (plain `http:` for localhost only).
   */
  auxLink?: string;
  /** Time allowed for each request, in ms (100–120000). Default 10000. */
  timeoutMs?: number;
  /** Largest accepted difference between the local clock and the hosts' `Date` headers, in seconds (1–3600). Default 30. */
  maxClockSkewSeconds?: number;
  /** The local clock, in ms since 1970. Default `Date.now`. */
  now?: () => number;
}

/** What each check looks at. */
export type BindIdSetupCheckId =
  | 'discovery'
  | 'issuer'
  | 'endpoints'
  | 'jwks'
  | 'capabilities'
  | 'client-auth'
  | 'pkce'
  | 'authorize'
  | 'api-host'
  | 'environment'
  | 'redirect-uri'
  | 'clock';

/** The outcome of one check. */
export interface BindIdSetupCheck {
  /** Which check. */
  readonly id: BindIdSetupCheckId;
  /**
   * `pass`, `fail`, `warn` (a sign that sign-ins may fail, which only a real sign-in can confirm; it
   * does not fail the report), or `skipped`: not checked because an earlier check failed (its
   * `detail` says which, e.g. `not checked: discovery failed`; the fix is on that check).
   */
  readonly status: 'pass' | 'fail' | 'warn' | 'skipped';
  /**
   * What was found (URLs, statuses, error codes; never the secret, a token or an HMAC, and no control
   * character: text from a host is shown with escapes such as `\x1b`).
   */
  readonly detail: string;
  /** What to change, for a failed check or a warning. */
  readonly fix?: string;
}

/** What `checkBindIdSetup` found. */
export interface BindIdSetupReport {
  /** Whether every check passed or only warned (none failed or was skipped). */
  readonly ok: boolean;
  /** The checks, in a fixed order (the `BindIdSetupCheckId` order). */
  readonly checks: readonly BindIdSetupCheck[];
}

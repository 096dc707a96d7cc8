import type { KeyObject } from 'node:crypto';

/**
 * Public types of the local BindID emulator (`express-bindid/emulator`).
 *
 * @module
 */

/** The emulated endpoints a {@link Fault} can be set on. */
export type EmulatorEndpoint = 'discovery' | 'jwks' | 'authorize' | 'token' | 'userinfo' | 'session-feedback' | 'custom-user-data';

/**
 * A failure the emulator plays instead of (or before) its normal answer on one endpoint.
 *
 * - `status` (200–599): answer with this status and `body` (default: a JSON
 *   `{ error: 'emulated_fault', ... }`), with `Retry-After: retryAfter` when given. The request
 *   has no other effect.
 * - `delayMs`: wait this long, then give the normal answer (or the forced `status`, or `drop`).
 * - `hang`: never answer; the connection stays open until the client gives up or `close()`.
 * - `drop`: destroy the connection without answering.
 * - `after`: with `drop` or `status`: handle the request first (a report is applied, data is stored),
 *   then drop the connection or answer `status` instead of the real answer: "applied, then the answer
 *   lost", the case a client's retry of an unanswered request meets.
 * - `times`: play the fault for this many requests, then clear it. Default: until cleared.
 * - `staleAuthTime` (`'token'` only): answer normally, but the ID token says the person authenticated
 *   this many seconds before the authorization (`auth_time`, also for `/userinfo`), as a provider that
 *   answered from an earlier session and ignored `max_age`.
 * - `omitAuthTime` (`'token'` only): answer normally, but the ID token has no `auth_time`.
 */
export interface Fault {
  /** Status to answer with instead of the normal answer, 200–599. */
  status?: number;
  /** `Retry-After` header value sent with `status` (seconds or an HTTP date). */
  retryAfter?: string;
  /** Delay before answering, in ms (0–600000). */
  delayMs?: number;
  /** Never answer (until the client aborts or the emulator closes). */
  hang?: boolean;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** With `drop` or `status`: handle the request (apply it) first, then drop or answer `status` instead. */
  after?: boolean;
  /** How many requests the fault applies to before it clears itself (a positive integer). */
  times?: number;
  /** Response body sent with `status` (as `text/plain` unless it parses as JSON). */
  body?: string;
  /** `'token'` only: the ID token's `auth_time` this many seconds (1–31536000) before the authorization. */
  staleAuthTime?: number;
  /** `'token'` only: the ID token without `auth_time`. */
  omitAuthTime?: boolean;
}

/** A test identity offered on the emulator's sign-in page. */
export interface EmulatorIdentity {
  /** Short id used as `identity=<id>` on `/authorize`, e.g. `alice`. Letters, digits, `.`, `_`, `-`. */
  id: string;
  /**
   * The email address BindID holds for this person, sent as `email` with the `email` scope (or when
   * `acr_values` asks for `ts.bindid.iac.email`).
   */
  email?: string;
  /**
   * Whether `email` was verified (default `true`). An unverified address is sent with
   * `email_verified: false` until a login with `acr_values=ts.bindid.iac.email` verifies it.
   */
  emailVerified?: boolean;
  /** Phone number (E.164), sent as `phone_number` with the `phone` scope (or `ts.bindid.iac.phone_number`). */
  phoneNumber?: string;
  /** Whether `phoneNumber` was verified (default `true`); as {@link emailVerified}. */
  phoneNumberVerified?: boolean;
  /** Display name, shown on the sign-in page. */
  name?: string;
}

/** Options of {@link createEmulator}. */
export interface EmulatorOptions {
  /** The registered client id. Default `bindid-test-client`. */
  clientId?: string;
  /** The client secret (for `/token` and the session-feedback HMAC). Default `bindid-test-secret`. */
  clientSecret?: string;
  /**
   * The registered redirect URIs, matched exactly. Default `[]`: then every `/authorize` request
   * fails with a 400 page.
   */
  redirectUris?: string[];
  /**
   * Interface to listen on, also used in the URLs. Default `127.0.0.1`. A request's `Host` header
   * must name it or a loopback name (`localhost`, `127.x.x.x`, `[::1]`), any port; any other gets
   * 421 before any endpoint runs (DNS rebinding).
   */
  host?: string;
  /** Port of the sign-in (OIDC) side, whose URL is the issuer. Default 0 (a free port). */
  signinPort?: number;
  /** Port of the service-provider API side (`/session-feedback`). Default 0 (a free port). */
  apiPort?: number;
  /** The known test identities. Default: `alice` and `bob` with `@example.com` addresses. */
  identities?: EmulatorIdentity[];
  /**
   * What a report does when another user of this client already holds its alias: `reject` (409,
   * the default) or `allow`.
   */
  aliasConflict?: 'reject' | 'allow';
  /** Faults active from the start. */
  faults?: Partial<Record<EmulatorEndpoint, Fault>>;
  /** The clock, in ms since 1970 (for expiry tests). Default `Date.now`. */
  now?: () => number;
  /** Lifetime of access tokens, in seconds (1–86400). Default 3600. */
  accessTokenTtlSeconds?: number;
  /**
   * Also accept (and advertise) `client_secret_basic` at `/token`. Default `false`: like every
   * BindID example, only `client_secret_post` (docs/emulator-fidelity.md).
   */
  allowClientSecretBasic?: boolean;
  /** Also accept the authorization request as `POST /authorize`. Default `false`: BindID documents GET. */
  allowPostAuthorize?: boolean;
  /** Add `scope` to the token response. Default `false`: BindID's documented response has none. */
  tokenResponseScope?: boolean;
  /**
   * What a second `authentication_performed` report does for a user who already has an alias:
   * `accept` (default: it sets the alias again) or `reject` (400 `invalid_request`, "an alias can be
   * set once": use `alias_updated`). BindID's real answer is not documented.
   */
  repeatedAuthenticationPerformed?: 'accept' | 'reject';
  /**
   * What an `alias_updated` report with the alias the user already has does: `accept` (default: a
   * no-op, 200) or `reject` (400 `invalid_request`, "the alias is unchanged"). BindID's real answer is
   * not documented; the library sends no such report (a re-link with an unchanged alias sends nothing).
   */
  unchangedAliasUpdated?: 'accept' | 'reject';
  /**
   * Serve both sides over HTTPS with this PEM key and certificate (BindID itself is HTTPS only): the
   * issuer and the API URL are then `https://`. The clients must trust the certificate (for Node.js,
   * `NODE_EXTRA_CA_CERTS`). Default: plain HTTP.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * The RSA private key (2048 bits or more; a `KeyObject` or a PEM) that signs ID tokens. Default: a
   * new key at each start. Giving one keeps ID tokens valid across restarts, and saves the key
   * generation (about 0.2 s of CPU) when a test run starts many emulators.
   */
  signingKey?: KeyObject | string | Buffer;
}

/**
 * How a session-feedback request presented its `Authorization` header:
 * `token-and-hmac` (`BindIdBackend AccessToken <at>; <hmac>`), `hmac-only`
 * (`BindIdBackend AccessToken <hmac>`), `none` (no header) or `malformed` (anything else).
 */
export type HeaderForm = 'token-and-hmac' | 'hmac-only' | 'none' | 'malformed';

/**
 * One `POST /session-feedback` request as the emulator received it. Never holds the access token,
 * the HMAC or the `Authorization` header. Fields read from the body are present only when they had
 * the right JSON type (long strings are cut).
 */
export interface ReceivedReport {
  /** When it was received, in ms since 1970 (the emulator's clock). */
  readonly at: number;
  /** The status the emulator answered with; 0 when a fault dropped or hung the request. */
  readonly status: number;
  /** Whether the report was accepted (200) and applied. */
  readonly accepted: boolean;
  /** Why it was rejected, for rejected requests. */
  readonly error?: string;
  /** The form of the `Authorization` header. */
  readonly headerForm: HeaderForm;
  /** `reports[0].type`. */
  readonly type?: string;
  /** `reports[0].alias`. */
  readonly alias?: string;
  /** `reports[0].time`, unix seconds. */
  readonly time?: number;
  /** `reports[0].amr`. */
  readonly amr?: readonly string[];
  /** The BindID user (`sub`) the access token belongs to, when the token is known. */
  readonly sub?: string;
}

/** A running emulator, as returned by {@link createEmulator}. */
export interface Emulator {
  /** Base URL of the sign-in side, without trailing slash; the `iss` of every ID token. */
  readonly issuer: string;
  /** Base URL of the service-provider API side (`<apiUrl>/session-feedback`). */
  readonly apiUrl: string;
  /** The registered client id. */
  readonly clientId: string;
  /** The client secret. */
  readonly clientSecret: string;
  /** Every session-feedback request received (the last 1,000), oldest first. */
  reports(): ReceivedReport[];
  /** Forget the received reports. */
  clearReports(): void;
  /** Set (or, with `undefined`, clear) the fault of one endpoint. Throws on an invalid fault. */
  setFault(endpoint: EmulatorEndpoint, fault: Fault | undefined): void;
  /** Clear every fault. */
  clearFaults(): void;
  /** The alias this client set for `sub`, if any. */
  aliasOf(sub: string): string | undefined;
  /** The `sub` of a test identity (a known one, or one created by `identity=new`). */
  subOf(identityId: string): string | undefined;
  /**
   * Seed state: set (or remove, with `undefined`) the alias of `sub` as if a report had done it,
   * without the conflict check. Setting an alias also marks the user confirmed and binds the default
   * device (`device-1`); removing it unbinds every device.
   * Throws for an unknown `sub` or an empty alias.
   */
  setAlias(sub: string, alias: string | undefined): void;
  /**
   * Add a test identity at run time, as `identity=new` would create one but with this id, so that
   * `identity=<id>` on `/authorize` signs it in (the first time as a user BindID has not seen with
   * this client). Like created identities it counts toward the last 1,000 kept. Returns its `sub`.
   * Throws for an invalid id (see {@link EmulatorIdentity.id}; not `new` or `cancel`) or a taken one.
   */
  addIdentity(identity: EmulatorIdentity): string;
  /** Make every access token issued so far expired. */
  expireAccessTokens(): void;
  /** Stop both servers: close every connection (keep-alive and hung ones too) and timer. */
  close(): Promise<void>;
}

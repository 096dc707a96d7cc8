/**
 * Public types of `express-bindid/testing`. `TestAgent`, `TestRequest` and `TestResponse` are the
 * few members of supertest's `request.agent(app)` these helpers use, written structurally, so the
 * types do not depend on supertest and accept its versions 6 and 7.
 *
 * @module
 */
import type { Emulator, EmulatorEndpoint, EmulatorOptions, ReceivedReport } from '../emulator/types.js';

/** What an HTTP answer of the app must offer (supertest's `Response` does). */
export interface TestResponse {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers, lower-cased names (`location`, `set-cookie`…). */
  readonly headers: Readonly<Record<string, unknown>>;
  /** The response body as text. */
  readonly text: string;
}

/** A request being built (supertest's `Test`): chainable, and awaited for its response. */
export interface TestRequest<R extends TestResponse = TestResponse> extends PromiseLike<R> {
  /** Set a request header. */
  set(field: string, value: string): TestRequest<R>;
  /** Set the content type (`'form'` for `application/x-www-form-urlencoded`). */
  type(type: string): TestRequest<R>;
  /** Send a body (an object is encoded as the content type says). */
  send(data: string | object): TestRequest<R>;
}

/**
 * An HTTP client bound to the app that keeps cookies between requests, like a browser: what
 * supertest's `request.agent(app)` returns. `R` is its response type, which the helpers resolve with.
 */
export interface TestAgent<R extends TestResponse = TestResponse> {
  /** Start a GET request of a path on the app. */
  get(url: string): TestRequest<R>;
  /** Start a POST request of a path on the app. */
  post(url: string): TestRequest<R>;
}

/** Options of {@link startTestBindId}. */
export interface TestBindIdOptions {
  /**
   * The app's callback URL as configured in the app (for `bindIdRouter`:
   * `${baseUrl}/bindid/callback`). Required. Only its path is ever requested (supertest talks to the
   * app directly); its origin is the `Origin` of the confirm POST.
   */
  redirectUri: string;
  /** More emulator options (identities, clock…), minus `redirectUris` (that is `redirectUri`). */
  emulator?: Omit<EmulatorOptions, 'redirectUris'>;
}

/** The credentials an app needs to talk to a {@link TestBindId}: spread them into `bindIdRouter`'s options. */
export interface TestBindIdCredentials {
  /** The emulator's issuer (sign-in side), a loopback URL. */
  issuer: string;
  /** The emulator's API base URL (session feedback), a loopback URL. */
  apiUrl: string;
  /** The emulator's registered client id. */
  clientId: string;
  /** The emulator's client secret (a test value, not a real secret). */
  clientSecret: string;
}

/** The kinds of fault {@link TestBindId.fail} injects. */
export type TestBindIdFaultKind = 'down' | 'slow' | 'unauthorized';

/** Options of {@link TestBindId.fail}. */
export interface TestBindIdFaultOptions {
  /** The endpoint to fail. Default `'session-feedback'` (BindID's API the app reports to). */
  endpoint?: EmulatorEndpoint;
  /** For `'slow'`: how long each answer waits, in ms (0–600000). Default 2000. */
  delayMs?: number;
}

/** A local BindID (the emulator) for one test file, configured for the app's redirect URI. */
export interface TestBindId {
  /** The emulator's issuer, e.g. `http://127.0.0.1:41234`. */
  readonly issuer: string;
  /** The emulator's API base URL (`<apiUrl>/session-feedback`). */
  readonly apiUrl: string;
  /** The registered client id. */
  readonly clientId: string;
  /** The client secret (a test value). */
  readonly clientSecret: string;
  /** The app's callback URL, as given to {@link startTestBindId}. */
  readonly redirectUri: string;
  /** `{ issuer, apiUrl, clientId, clientSecret }`, to spread into `bindIdRouter` / `SessionFeedbackClient` options. */
  readonly options: Readonly<TestBindIdCredentials>;
  /** The emulator itself, for what the helpers do not cover (`setAlias`, `expireAccessTokens`…). */
  readonly emulator: Emulator;
  /** The session-feedback reports BindID accepted (not the refused ones), oldest first. */
  reports(): ReceivedReport[];
  /** Forget every report received so far. */
  clearReports(): void;
  /**
   * Inject a fault on the session-feedback API (default) or another endpoint, until {@link recover}:
   * `'down'` answers 503 to every call, `'slow'` answers after `delayMs` (default 2000),
   * `'unauthorized'` answers 401. A new fault on the same endpoint replaces the previous one.
   *
   * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for an unknown kind, endpoint or a bad `delayMs`.
   */
  fail(kind: TestBindIdFaultKind, options?: TestBindIdFaultOptions): void;
  /** Remove every injected fault. */
  recover(): void;
  /** Stop the emulator (both servers). */
  close(): Promise<void>;
}

/** Options of {@link signInWithBindId}. */
export interface SignInWithBindIdOptions {
  /**
   * Who signs in at BindID: a name the test picks (1 to 64 letters, digits, `.`, `_`, `-`; not
   * `new` or `cancel`). Its first use is a BindID user the app has never seen (no alias); later uses
   * sign the same BindID user in again (returning, with the alias once the app linked it).
   * Default: a fresh BindID user each call.
   */
  identity?: string;
  /** The app's path that starts a BindID sign-in. Default `'/login/bindid'` (`bindIdRouter`'s). */
  loginPath?: string;
  /** Where the app should send the user afterwards: appended to `loginPath` as `?returnTo=`. */
  returnTo?: string;
}

/** Input of {@link confirmWithPassword}. Other properties are ignored, so a fixture user `{ id, username, password }` can be passed as is. */
export interface ConfirmWithPasswordInput {
  /** The username typed into the confirm form. */
  username: string;
  /** The password typed into the confirm form. */
  password: string;
  /** The confirm page's path, requested with GET then POST. Default `'/bindid/confirm'`. */
  path?: string;
  /** The name of the form's hidden CSRF input. Default `'_csrf'`. */
  csrfField?: string;
}

/** Options of {@link mintPendingLogin}. */
export interface MintPendingLoginOptions {
  /** Who signs in at BindID: the same semantics as {@link SignInWithBindIdOptions.identity}. */
  identity?: string;
}

/** A real BindID login from the emulator, the input `storePendingLogin` takes. */
export interface MintedPendingLogin {
  /** The access token from the emulator's `/token` response. */
  accessToken: string;
  /** `expires_in` from the `/token` response, in seconds. */
  expiresIn: number;
  /** The claims of the ID token (decoded: the emulator on loopback is trusted), `sub` at least. */
  claims: Record<string, unknown> & { sub: string };
}

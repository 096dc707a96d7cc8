/**
 * The relying party of BindID sign-in, on `openid-client` (certified): the authorization request (`state`,
 * `nonce`, PKCE S256) and the code exchange; openid-client checks `iss`, `aud`, `exp` and `nonce`, and
 * `id-token-signature.ts` the RS256 signature against the cached JWKS.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { type BindIdError, BindIdFeedbackError, BindIdStateError, ErrorCode, errorCode, safeCause } from '../errors.js';
import { HttpClient } from '../http/http-client.js';
import { traceTokenExchange } from '../internal/diagnostics.js';
import { logger } from '../internal/log.js';
import type { AuthTransaction, BindIdClaims } from '../session/pending-login.js';
import { type AuthorizationParams, checkAuthorizationParams } from './authorization-params.js';
import { IdTokenSignature } from './id-token-signature.js';
import { oidcFetch } from './oidc-fetch.js';
import { isUnreachable, oidcConfiguration } from './oidc-configuration.js';
import type { StaticOidcMetadata } from './static-metadata.js';

const log = logger('login');

/** A sign-in that must be a new authentication (OIDC Core §3.1.2.1); `max_age=0` also makes the ID token carry `auth_time`. */
const FRESH_AUTHENTICATION = { prompt: 'login', max_age: '0' } as const;

/** Settings of {@link BindIdOidcClient}, already validated. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  timeoutMs: number;
  /** Extra parameters of every authorization request, already checked (see `readAuthorizationParams`). Default none. */
  authorizationParams?: AuthorizationParams | undefined;
  /** Send PKCE S256 (`code_challenge` at /authorize, `code_verifier` at /token). Default true. */
  pkce?: boolean | undefined;
  /** Endpoints given by hand: no discovery request. Default: discovery at `issuer`. */
  metadata?: StaticOidcMetadata | undefined;
}

/** What a successful callback yields. */
export interface CallbackResult {
  accessToken: string;
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
  claims: BindIdClaims;
}

/** Talks OIDC to BindID for the login router. */
export class BindIdOidcClient {
  readonly #settings: OidcSettings;
  /** BindID's discovery, token and JWKS requests, through the library's HTTP seam (kept-alive connections, the egress proxy). */
  readonly #fetch = oidcFetch(new HttpClient());
  readonly #signature = new IdTokenSignature(() => this.#jwks());
  #config: Promise<oidc.Configuration> | undefined;

  constructor(settings: OidcSettings) {
    this.#settings = settings;
  }

  /**
   * The URL to redirect to and the transaction to seal until the callback, `createdAt` = `now` (the start).
   * @param params this login's allow-listed parameters (`ERR_BINDID_INVALID_AUTHORIZATION_PARAMS`, 400, for a bad one)
   * @param options.freshAuthentication `prompt=login` and `max_age=0` whatever the app's parameters say (an unlink's step-up)
   */
  async authorizationRequest(
    returnTo: string,
    now: number,
    params?: AuthorizationParams,
    options: { freshAuthentication?: boolean } = {},
  ): Promise<{ url: string; transaction: AuthTransaction }> {
    const extra = { ...this.#settings.authorizationParams, ...checkAuthorizationParams(params) };
    const config = await this.#configuration();
    const pkce = this.#settings.pkce !== false;
    const codeVerifier = pkce ? randomValue() : undefined;
    const transaction: AuthTransaction = {
      state: randomValue(),
      nonce: randomValue(),
      ...(codeVerifier === undefined ? {} : { codeVerifier }),
      returnTo,
      createdAt: now,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      ...extra,
      ...(options.freshAuthentication === true ? FRESH_AUTHENTICATION : {}),
      redirect_uri: this.#settings.redirectUri,
      scope: extra.scope ?? this.#settings.scope,
      response_type: 'code',
      state: transaction.state,
      nonce: transaction.nonce,
      ...(codeVerifier === undefined ? {} : { code_challenge: pkceChallenge(codeVerifier), code_challenge_method: 'S256' }),
    });
    return { url: url.href, transaction };
  }

  /**
   * Validate the callback (`?code&state` or `?error`) against the transaction, exchange the code and
   * validate the ID token. Throws coded errors only. PKCE follows the transaction: a verifier is sent
   * when the sign-in was started with one.
   *
   * @param query the raw query string of the callback request, without `?`
   */
  async callback(query: string, transaction: AuthTransaction): Promise<CallbackResult> {
    return traceTokenExchange(
      () => this.#callback(query, transaction),
      ({ claims }) => typeof claims.bindid_alias === 'string' && claims.bindid_alias !== '',
    );
  }

  /** {@link callback}, traced on the `token-exchange` diagnostics channel. */
  async #callback(query: string, transaction: AuthTransaction): Promise<CallbackResult> {
    const config = await this.#configuration();
    const currentUrl = new URL(this.#settings.redirectUri);
    currentUrl.search = query;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        ...(transaction.codeVerifier ? { pkceCodeVerifier: transaction.codeVerifier } : {}),
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        // Stryker disable next-line BooleanLiteral: equivalent, the expectedNonce string above already makes oauth4webapi require an ID token (processAuthorizationCodeOpenIDResponse)
        idTokenExpected: true,
      });
    } catch (err) {
      throw callbackError(err);
    }
    await this.#signature.verify(tokens.id_token as string);
    const claims = tokens.claims();
    // Stryker disable all: unreachable second layer, oauth4webapi already refuses a token response without a string access_token or an ID token; kept in case it changes
    if (!claims || typeof tokens.access_token !== 'string') {
      throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'BindID answered without an ID token or access token.', {
        status: 400,
      });
    }
    // Stryker restore all
    const expiresIn = typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : 3600;
    return { accessToken: tokens.access_token, expiresIn, claims: { ...claims } as BindIdClaims };
  }

  /** BindID's JWKS document, for the ID token's signature. */
  async #jwks(): Promise<Response> {
    const { jwks_uri } = (await this.#configuration()).serverMetadata();
    const signal = AbortSignal.timeout(this.#settings.timeoutMs);
    return this.#fetch(jwks_uri as string, { method: 'GET', headers: { accept: 'application/json' }, body: undefined, redirect: 'manual', signal });
  }

  /** The provider's configuration, once; a failure is forgotten so the next request tries again. */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      this.#config = oidcConfiguration({ ...this.#settings, fetch: this.#fetch }).catch((err: unknown) => {
        this.#config = undefined;
        log('discovery failed: %s (%s)', errorLabel(err), errorCode((err as { cause?: unknown }).cause) ?? '');
        throw err;
      });
    }
    return this.#config;
  }
}

/**
 * BASE64URL(SHA-256(ASCII(verifier))) (RFC 7636 §4.2), as `oidc.calculatePKCECodeChallenge` but synchronous:
 * WebCrypto's `digest` goes through the thread pool, about 0.1 ms of CPU per sign-in (BENCHMARKS.md, signin).
 */
function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** 32 random bytes, base64url (43 characters): a state, a nonce or a PKCE verifier (openid-client's `random*` size). */
function randomValue(): string {
  return randomBytes(32).toString('base64url');
}

/** Map an openid-client failure to a coded, secret-free error. */
function callbackError(err: unknown): BindIdError {
  if (err instanceof oidc.AuthorizationResponseError) {
    if (err.error === 'access_denied') {
      return new BindIdStateError(ErrorCode.ACCESS_DENIED, 'The BindID sign-in was cancelled.', {
        status: 403,
        cause: safeCause(undefined, 'access_denied'),
      });
    }
    return callbackInvalid('BindID could not complete the sign-in. Try again.', safeCause(undefined, `authorization error ${oauthCode(err.error)}`));
  }
  if (err instanceof oidc.ResponseBodyError) {
    const cause = safeCause(undefined, `token endpoint answered ${oauthCode(err.error)}`);
    if (err.status >= 500) return unavailable(cause);
    return callbackInvalid('The BindID sign-in could not be completed. Start again.', cause);
  }
  const cause = safeCause(err, errorLabel(err));
  if (isNetworkError(err)) return unavailable(cause);
  return callbackInvalid('The BindID sign-in could not be verified. Start again.', cause);
}

function unavailable(cause: Error): BindIdError {
  return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'BindID sign-in is unavailable. Try again in a moment.', {
    status: 503,
    retryable: true,
    cause,
  });
}

function callbackInvalid(message: string, cause: Error): BindIdError {
  return new BindIdStateError(ErrorCode.CALLBACK_INVALID, message, { status: 400, cause });
}

function isNetworkError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || isUnreachable(err);
}

/** A short, safe label: the library's error code, never a message that might quote a response. */
function errorLabel(err: unknown): string {
  const code = errorCode(err);
  if (code !== undefined) return code;
  return err instanceof Error ? err.name.replace(/[^A-Za-z]/g, '').slice(0, 40) || 'Error' : 'unknown';
}

function oauthCode(value: unknown): string {
  return typeof value === 'string' && /^[a-z_]{1,40}$/.test(value) ? value : 'an error';
}

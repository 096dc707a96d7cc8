/**
 * The relying-party side of BindID sign-in, on `openid-client` (certified; no hand-rolled token
 * validation): discovery (lazy, cached, retried after a failure), the authorization request with
 * `state`, `nonce` and PKCE S256, and the code exchange with ID-token validation (`iss`, `aud`,
 * `exp`, `nonce`, signature against the cached JWKS, RS256 only).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { type BindIdError, BindIdFeedbackError, BindIdStateError, ErrorCode, errorCode, safeCause } from '../errors.js';
import { logger } from '../internal/log.js';
import { isLoopback } from '../internal/is-loopback.js';
import type { AuthTransaction, BindIdClaims } from '../session/pending-login.js';

const log = logger('login');

/** Settings of {@link BindIdOidcClient}, already validated. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  timeoutMs: number;
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
  #config: Promise<oidc.Configuration> | undefined;

  constructor(settings: OidcSettings) {
    this.#settings = settings;
  }

  /** The authorization URL to redirect to, and the transaction to keep in the session. */
  async authorizationRequest(returnTo: string, now: number): Promise<{ url: string; transaction: AuthTransaction }> {
    const config = await this.#configuration();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const transaction: AuthTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      returnTo,
      createdAt: now,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.#settings.redirectUri,
      scope: this.#settings.scope,
      response_type: 'code',
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: pkceChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, transaction };
  }

  /**
   * Validate the callback (`?code&state` or `?error`) against the transaction, exchange the code and
   * validate the ID token. Throws coded errors only.
   *
   * @param query the raw query string of the callback request, without `?`
   */
  async callback(query: string, transaction: AuthTransaction): Promise<CallbackResult> {
    const config = await this.#configuration();
    const currentUrl = new URL(this.#settings.redirectUri);
    currentUrl.search = query;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, currentUrl, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      throw callbackError(err);
    }
    const claims = tokens.claims();
    if (!claims || typeof tokens.access_token !== 'string') {
      throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'BindID answered without an ID token or access token.', {
        status: 400,
      });
    }
    const expiresIn = typeof tokens.expires_in === 'number' && tokens.expires_in > 0 ? tokens.expires_in : 3600;
    return { accessToken: tokens.access_token, expiresIn, claims: { ...claims } as BindIdClaims };
  }

  /** Discovery, once; a failed discovery is forgotten so the next request tries again. */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const s = this.#settings;
      const issuer = new URL(s.issuer);
      const options: oidc.DiscoveryRequestOptions = { timeout: Math.ceil(s.timeoutMs / 1000) };
      if (issuer.protocol === 'http:' && isLoopback(issuer.hostname)) options.execute = [oidc.allowInsecureRequests];
      this.#config = oidc
        .discovery(
          issuer,
          s.clientId,
          { client_secret: s.clientSecret, id_token_signed_response_alg: 'RS256' },
          oidc.ClientSecretPost(s.clientSecret),
          options,
        )
        .then((config) => {
          // Also verify the ID token's signature against BindID's JWKS (cached by openid-client),
          // not only trust the TLS channel of the token endpoint.
          oidc.enableNonRepudiationChecks(config);
          return config;
        })
        .catch((err: unknown) => {
          this.#config = undefined;
          log('discovery failed: %s', errorLabel(err));
          throw new BindIdFeedbackError(
            ErrorCode.UNAVAILABLE,
            'BindID sign-in is unavailable (discovery failed). Try again in a moment.',
            { status: 503, retryable: true, cause: safeCause(err, `discovery failed: ${errorLabel(err)}`) },
          );
        });
    }
    return this.#config;
  }
}

/**
 * The S256 PKCE challenge of `verifier`: BASE64URL(SHA-256(ASCII(verifier))) (RFC 7636 §4.2), what
 * `oidc.calculatePKCECodeChallenge` computes, but with node:crypto's synchronous hash: WebCrypto's
 * `digest` hands a 43-byte input to the thread pool and back, about 0.1 ms of CPU per sign-in
 * (BENCHMARKS.md, signin).
 */
function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
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
    return new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'BindID could not complete the sign-in. Try again.', {
      status: 400,
      cause: safeCause(undefined, `authorization error ${oauthCode(err.error)}`),
    });
  }
  if (err instanceof oidc.ResponseBodyError) {
    const cause = safeCause(undefined, `token endpoint answered ${oauthCode(err.error)}`);
    if (err.status >= 500) {
      return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'BindID sign-in is unavailable. Try again in a moment.', {
        status: 503,
        retryable: true,
        cause,
      });
    }
    return new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'The BindID sign-in could not be completed. Start again.', {
      status: 400,
      cause,
    });
  }
  const label = errorLabel(err);
  if (isNetworkError(err)) {
    return new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'BindID sign-in is unavailable. Try again in a moment.', {
      status: 503,
      retryable: true,
      cause: safeCause(err, label),
    });
  }
  return new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'The BindID sign-in could not be verified. Start again.', {
    status: 400,
    cause: safeCause(err, label),
  });
}

function isNetworkError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT' || code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') return true;
  return err instanceof TypeError && /fetch failed/i.test(err.message);
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

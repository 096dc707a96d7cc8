/**
 * Signing of BindID service-provider API requests.
 *
 * BindID authenticates backend calls (`/session-feedback`, `/custom-user-data`, ...) with
 * `Authorization: BindIdBackend AccessToken <access token>; <auth value>`, where the auth value is
 * the standard, padded Base64 of HMAC-SHA256 keyed with the UTF-8 client secret over the UTF-8
 * access token.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { describeType } from '../internal/describe-type.js';

/** Longest access token accepted, in characters. BindID's tokens are 43 characters long. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

/**
 * RFC 6750 `b64token`: the only characters that can sit in `AccessToken <token>;` without breaking
 * the header grammar or Node's header validation (no controls, spaces, `;`, `,`, `"`, non-ASCII).
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Check that `accessToken` can be sent to BindID; throw `ERR_BINDID_INVALID_ARGUMENT` otherwise.
 * The message never repeats the token.
 */
export function assertAccessToken(accessToken: unknown): asserts accessToken is string {
  assertTokenString(accessToken);
  if (!B64TOKEN.test(accessToken)) {
    throw invalidArgument(
      'accessToken contains characters that cannot appear in a BindID access token ' +
        '(allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)',
    );
  }
}

/** A non-empty string of at most {@link MAX_ACCESS_TOKEN_LENGTH} characters (any characters). */
function assertTokenString(accessToken: unknown): asserts accessToken is string {
  if (typeof accessToken !== 'string') {
    throw invalidArgument(`accessToken must be a string (got ${describeType(accessToken)})`);
  }
  if (accessToken.length === 0) throw invalidArgument('accessToken must not be empty');
  if (accessToken.length > MAX_ACCESS_TOKEN_LENGTH) {
    throw invalidArgument(`accessToken is longer than ${MAX_ACCESS_TOKEN_LENGTH} characters`);
  }
}

/** Check that `clientSecret` is a non-empty string; throw `ERR_BINDID_INVALID_ARGUMENT` otherwise. */
export function assertClientSecret(clientSecret: unknown): asserts clientSecret is string {
  if (typeof clientSecret !== 'string') {
    throw invalidArgument(`clientSecret must be a string (got ${describeType(clientSecret)})`);
  }
  if (clientSecret.length === 0) throw invalidArgument('clientSecret must not be empty');
}

/**
 * The `[FEEDBACK_AUTH_VALUE]` of BindID's docs: Base64 (standard alphabet, padded) of
 * HMAC-SHA256(key = UTF-8 `clientSecret`, message = UTF-8 `accessToken`).
 *
 * The value alone may be sent as `AccessToken <value>` with the token only in the JSON body, so any
 * non-empty token string is signed here; {@link authorizationHeader} also checks the token can sit in
 * a header.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for an empty or non-string secret or
 *   token, or a token longer than {@link MAX_ACCESS_TOKEN_LENGTH}.
 */
export function feedbackAuthValue(clientSecret: string, accessToken: string): string {
  assertClientSecret(clientSecret);
  assertTokenString(accessToken);
  return hmacBase64(clientSecret, accessToken);
}

/**
 * The full value of the `Authorization` header of a BindID service-provider API call:
 * exactly `BindIdBackend AccessToken <accessToken>; <feedbackAuthValue>`.
 *
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` as {@link feedbackAuthValue}, and for a
 *   token outside the RFC 6750 `b64token` alphabet (CR, LF, NUL and other controls, whitespace, `;`,
 *   `,`, `"`, non-ASCII...), which cannot sit in the header.
 */
export function authorizationHeader(clientSecret: string, accessToken: string): string {
  assertClientSecret(clientSecret);
  assertAccessToken(accessToken);
  return `BindIdBackend AccessToken ${accessToken}; ${hmacBase64(clientSecret, accessToken)}`;
}

/** HMAC without argument checks, for callers that validated already. */
export function hmacBase64(clientSecret: string, accessToken: string): string {
  return createHmac('sha256', Buffer.from(clientSecret, 'utf8'))
    .update(Buffer.from(accessToken, 'utf8'))
    .digest('base64');
}

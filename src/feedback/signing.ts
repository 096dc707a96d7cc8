/** Signing of BindID's API calls: `Authorization: BindIdBackend AccessToken <token>; <auth value>`, the auth value being padded
 * Base64 of HMAC-SHA256(UTF-8 client secret, UTF-8 access token). @module */
import { createHmac } from 'node:crypto';
import { invalidArgument } from '../errors.js';
import { describeType } from '../internal/describe-type.js';

/** Longest access token accepted, in characters. BindID's tokens are 43 characters long. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;

/** RFC 6750 `b64token`: what can sit in `AccessToken <token>;` without breaking the header grammar or Node's header validation. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** `ERR_BINDID_INVALID_ARGUMENT` (never repeating the token) unless it can be sent to BindID. */
export function assertAccessToken(accessToken: unknown): asserts accessToken is string {
  assertTokenString(accessToken);
  if (!B64TOKEN.test(accessToken)) {
    throw invalidArgument(
      'accessToken contains characters that cannot appear in a BindID access token ' +
        '(allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)',
    );
  }
}

function assertTokenString(accessToken: unknown): asserts accessToken is string {
  if (typeof accessToken !== 'string') {
    throw invalidArgument(`accessToken must be a string (got ${describeType(accessToken)})`);
  }
  if (accessToken.length === 0) throw invalidArgument('accessToken must not be empty');
  if (accessToken.length > MAX_ACCESS_TOKEN_LENGTH) {
    throw invalidArgument(`accessToken is longer than ${MAX_ACCESS_TOKEN_LENGTH} characters`);
  }
}

export function assertClientSecret(clientSecret: unknown): asserts clientSecret is string {
  if (typeof clientSecret !== 'string') {
    throw invalidArgument(`clientSecret must be a string (got ${describeType(clientSecret)})`);
  }
  if (clientSecret.length === 0) throw invalidArgument('clientSecret must not be empty');
}

/**
 * The `[FEEDBACK_AUTH_VALUE]` of BindID's docs. It may be sent alone, the token only in the JSON
 * body, so any token string is signed; {@link authorizationHeader} also checks it can sit in a header.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for an empty or non-string secret or
 *   token, or a token longer than {@link MAX_ACCESS_TOKEN_LENGTH}.
 */
export function feedbackAuthValue(clientSecret: string, accessToken: string): string {
  assertClientSecret(clientSecret);
  assertTokenString(accessToken);
  return hmacBase64(clientSecret, accessToken);
}

/**
 * The `Authorization` header of a BindID API call: `BindIdBackend AccessToken <accessToken>; <feedbackAuthValue>`.
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` as {@link feedbackAuthValue}, and for a
 *   token outside the RFC 6750 `b64token` alphabet (CR, LF, NUL and other controls, whitespace, `;`,
 *   `,`, `"`, non-ASCII...), which cannot sit in the header.
 */
export function authorizationHeader(clientSecret: string, accessToken: string): string {
  assertClientSecret(clientSecret);
  assertAccessToken(accessToken);
  return `BindIdBackend AccessToken ${accessToken}; ${hmacBase64(clientSecret, accessToken)}`;
}

/** Without argument checks. */
export function hmacBase64(clientSecret: string, accessToken: string): string {
  return createHmac('sha256', Buffer.from(clientSecret, 'utf8'))
    .update(Buffer.from(accessToken, 'utf8'))
    .digest('base64');
}

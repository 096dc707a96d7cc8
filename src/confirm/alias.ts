/** Aliases: what the app reports to BindID for a confirmed user and gets back as `bindid_alias`. @module */
import { createHmac } from 'node:crypto';
import { BindIdArgumentError, ErrorCode, invalidArgument } from '../errors.js';

/** Fewest bytes of an {@link opaqueAlias} secret. */
export const MIN_ALIAS_SECRET_BYTES = 32;

/** `user.id` as a string (a non-empty string or a safe integer), or `ERR_BINDID_INVALID_ALIAS` with `message`. */
function idOf(user: unknown, message: string): string {
  const id = user !== null && typeof user === 'object' ? (user as { id?: unknown }).id : undefined;
  if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isSafeInteger(id))) return String(id);
  throw new BindIdArgumentError(ErrorCode.INVALID_ALIAS, message);
}

/** The default alias, `String(user.id)`. */
export function defaultAlias(user: unknown): string {
  return idOf(user, 'The default BindID alias is String(user.id), but req.user has no string or integer `id`: pass the `alias` option.');
}

/**
 * An `alias` option that reports `base64url(HMAC-SHA256(secret, user.id))` instead of the id, for apps whose ids are personal data
 * or reveal how many users there are. Keep the secret for good: a new one gives every user a new alias (each confirms again).
 * `findUserByAlias` must map it back, e.g. through an indexed column holding each user's alias.
 *
 * ```ts
 * const alias = opaqueAlias(process.env.BINDID_ALIAS_SECRET!);
 * app.use(bindIdRouter({ ..., alias, findUserByAlias: (a) => users.findOne({ bindidAlias: a }) }));
 * ```
 *
 * @param secret at least 32 bytes (a string is taken as UTF-8), e.g. `randomBytes(32).toString('base64')`
 * @throws BindIdArgumentError `ERR_BINDID_INVALID_ARGUMENT` for a missing or short secret; the returned
 *   function throws `ERR_BINDID_INVALID_ALIAS` for a user without a string or integer `id`.
 */
export function opaqueAlias(secret: string | Uint8Array): (user: unknown) => string {
  const key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret instanceof Uint8Array ? Buffer.from(secret) : undefined;
  if (key === undefined || key.length < MIN_ALIAS_SECRET_BYTES) {
    throw invalidArgument(`opaqueAlias(secret) needs a secret of at least ${MIN_ALIAS_SECRET_BYTES} bytes`);
  }
  return (user: unknown) => {
    const id = idOf(user, 'opaqueAlias() needs user.id: a non-empty string or a safe integer.');
    // A fixed prefix keeps these HMACs apart from any other use of the same secret.
    return createHmac('sha256', key).update(`express-bindid alias v1\0${id}`).digest('base64url');
  };
}

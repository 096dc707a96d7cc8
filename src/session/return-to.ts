/** `sanitizeReturnTo`. Browsers treat `\` like `/` and drop tabs and newlines, so `/\evil.example` passes a naive leading-slash check. @module */

const MAX_RETURN_TO_LENGTH = 2048;

/**
 * A same-origin path (`/path?query#hash`) from an untrusted `value`, or `fallback` when it is not a
 * string, too long, absolute or protocol-relative, holds a backslash, whitespace or a control
 * character, or resolves to another origin. Sanitizing the result again returns it unchanged.
 * @param value the untrusted value (e.g. `req.query.returnTo`)
 * @param baseUrl the app's own origin, e.g. `https://app.example.com`
 * @param fallback where to go instead; must itself be a path starting with `/`. Default `/`.
 */
export function sanitizeReturnTo(value: unknown, baseUrl: string, fallback = '/'): string {
  if (typeof value !== 'string' || value.length > MAX_RETURN_TO_LENGTH) return fallback;
  // Only absolute paths (an empty string too is refused here); `//host` and `/\host` are protocol-relative URLs to another host.
  if (!value.startsWith('/') || value.startsWith('//')) return fallback;
  if (/[\\\s\p{Cc}\p{Cf}]/u.test(value)) return fallback;
  // Stryker disable next-line ConditionalExpression: equivalent, a path that passed the checks above always parses against the validated baseUrl; kept so that a change above cannot make this function throw
  if (!URL.canParse(value, baseUrl)) return fallback;
  const base = new URL(baseUrl);
  const resolved = new URL(value, base);
  // Stryker disable next-line ConditionalExpression: unreachable second layer, no value that passed the checks above resolves to another origin; kept in case they change
  if (resolved.origin !== base.origin) return fallback;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // The normalised path must not have become protocol-relative (`/.//host` is `//host`) nor too long.
  if (path.startsWith('//') || path.length > MAX_RETURN_TO_LENGTH) return fallback;
  return path;
}

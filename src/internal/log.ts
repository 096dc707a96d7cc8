/**
 * Logging goes only through `debug`, under `express-bindid:*`. Log ids and outcomes (codes,
 * statuses, attempt counts, durations); never a secret, access token, HMAC, header, password or
 * upstream body. Values that come from users are passed through {@link printable} first.
 *
 * @module
 */
import createDebug from 'debug';

export function logger(area: string): createDebug.Debugger {
  return createDebug(`express-bindid:${area}`);
}

/**
 * A value safe to put on one log line: control characters (CR, LF, ...) escaped so a user-supplied
 * value cannot forge log lines, and cut to `max` characters.
 */
export function printable(value: unknown, max = 200): string {
  const text = String(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** Logging, only through `debug` (`express-bindid:*`): ids and outcomes, never a secret, token, HMAC, header, password or upstream body. */
import createDebug from 'debug';

export function logger(area: string): createDebug.Debugger {
  return createDebug(`express-bindid:${area}`);
}

/** `value` for one log line: control characters escaped (a user's value cannot forge lines), cut to `max` characters. */
export function printable(value: unknown, max = 200): string {
  const text = String(value);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  const escaped = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

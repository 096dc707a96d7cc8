/**
 * The emulator's defence against DNS rebinding: a web page on `evil.example` whose name the attacker
 * points at 127.0.0.1 could otherwise drive the local emulator from the victim's browser (sign in
 * its identities, read its reports, set faults). Every request whose `Host` header does not name the
 * emulator is refused before any endpoint (or fault, or admin route) runs.
 *
 * The name decides, not the port: a browser always sends the name of the page's URL, which the
 * attacker cannot make a loopback name, while a TLS terminator or port forward on this machine
 * reaches the emulator under another port (the benchmarks' does).
 *
 * @module
 */
import { isLoopback } from '../internal/is-loopback.js';

/** The `Host` header: a name, an IPv4 address or a bracketed IPv6 address, then an optional port. */
const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i;

/** The name the emulator's URLs carry for `host` (the `host` option), lower-cased, an IPv6 address in brackets. */
export function urlHostname(host: string): string {
  const lower = host.toLowerCase();
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/**
 * Whether a request's `Host` header names this emulator: a loopback name (`localhost`, `127.x.x.x`,
 * `[::1]`) or the host it was started with (`host`, as its issuer and API URL spell it), with any
 * port. A missing or malformed header does not.
 */
export function isOwnHost(header: string | undefined, host: string): boolean {
  const match = header === undefined ? null : HOST_HEADER.exec(header);
  if (match === null) return false;
  const name = (match[1] as string).toLowerCase();
  return isLoopback(name) || name === urlHostname(host);
}

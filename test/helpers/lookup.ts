/**
 * Replace Node's DNS lookup (`dns.lookup`, which `net` calls for every host name) while a test runs:
 * a name fails as getaddrinfo would, or resolves to loopback, and no DNS query leaves the machine.
 * An IP address (a server listening on 127.0.0.1) is still looked up by Node.
 * Call `restore()` in a `finally`.
 *
 * ```ts
 * const lookup = stubLookup(() => Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }));
 * try { ... } finally { lookup.restore(); }
 * expect(lookup.calls).toBe(3);
 * ```
 *
 * @module
 */
import dns from 'node:dns';
import { isIP } from 'node:net';

/** What a looked-up name gives: an IPv4 address, or the error getaddrinfo would give. */
export type LookupAnswer = (hostname: string) => string | Error;

/** Replace `dns.lookup` with `answer` until `restore()`; `calls` counts the lookups. */
export function stubLookup(answer: LookupAnswer): { readonly calls: number; restore: () => void } {
  const original = dns.lookup;
  let calls = 0;
  const stub = (hostname: string, options: unknown, callback?: (...args: unknown[]) => void) => {
    if (isIP(hostname) !== 0) return (original as (...args: unknown[]) => void)(hostname, options, callback); // servers listening on 127.0.0.1
    const done = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: unknown }).all === true;
    calls += 1;
    const result = answer(hostname);
    process.nextTick(() => {
      if (result instanceof Error) done(result);
      else if (all) done(null, [{ address: result, family: 4 }]);
      else done(null, result, 4);
    });
  };
  dns.lookup = stub as typeof dns.lookup;
  return {
    get calls() {
      return calls;
    },
    restore: () => {
      dns.lookup = original;
    },
  };
}

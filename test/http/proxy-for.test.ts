/**
 * `proxyFor(url)` (src/http/proxy-for.ts): which egress proxy the environment names for a URL, as
 * axios and curl read it, and a clear failure that does not repeat a value it cannot use.
 */
import { proxyFor } from '../../src/http/proxy-for.js';
import { withProxyEnv } from '../helpers/proxy-env.js';

const proxyOf = (url: string, env: Record<string, string>) => withProxyEnv(env, async () => proxyFor(new URL(url))?.href);

it('HTTPS_PROXY for https, HTTP_PROXY for http, ALL_PROXY for either; none without a variable', async () => {
  const env = { HTTPS_PROXY: 'http://tls-proxy:3128', HTTP_PROXY: 'http://plain-proxy:3128' };
  expect(await proxyOf('https://signin.bindid-sandbox.io/token', env)).toBe('http://tls-proxy:3128/');
  expect(await proxyOf('http://127.0.0.1:9080/token', env)).toBe('http://plain-proxy:3128/');
  expect(await proxyOf('https://api.bindid.io/', { ALL_PROXY: 'http://any:8080' })).toBe('http://any:8080/');
  expect(await proxyOf('https://api.bindid.io/', {})).toBeUndefined();
});

it('the lower-case name wins over the upper-case one', async () => {
  expect(await proxyOf('https://api.bindid.io/', { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' })).toBe('http://lower:2/');
});

it.each([
  ['the host', 'api.bindid.io'],
  ['a domain with a leading dot', '.bindid.io'],
  ['the host and its port', 'api.bindid.io:443'],
  ['*', '*'],
  ['one entry of a list', 'localhost, api.bindid.io'],
])('NO_PROXY naming %s: direct', async (_what, noProxy) => {
  expect(await proxyOf('https://api.bindid.io/session-feedback', { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: noProxy })).toBeUndefined();
});

it('NO_PROXY naming another host or port: still through the proxy', async () => {
  const env = { HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'signin.bindid.io,api.bindid.io:8443' };
  expect(await proxyOf('https://api.bindid.io/', env)).toBe('http://proxy:3128/');
});

it.each([
  ['another scheme', 'socks5://user:pa55word@proxy:1080'],
  ['no host', 'http://:3128'],
])('a proxy value with %s: ERR_PROXY_INVALID naming the variable, not the value', async (_what, value) => {
  const err = await withProxyEnv({ HTTPS_PROXY: value }, async () => {
    try {
      proxyFor(new URL('https://api.bindid.io/'));
    } catch (e) {
      return e;
    }
    return undefined;
  });
  expect(err).toMatchObject({ code: 'ERR_PROXY_INVALID' });
  expect((err as Error).message).toContain('HTTPS_PROXY');
  expect((err as Error).message).not.toContain(value);
  expect((err as Error).message).not.toContain('pa55word');
});

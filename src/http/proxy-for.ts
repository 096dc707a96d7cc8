import { getProxyForUrl } from 'proxy-from-env';

/**
 * The egress proxy the environment names for `url`, read at each request as axios and curl read it (`HTTPS_PROXY`, `HTTP_PROXY`,
 * `ALL_PROXY`, `NO_PROXY`), or `undefined` to connect directly. Throws (code `ERR_PROXY_INVALID`) when the variable is not an http(s) URL.
 */
export function proxyFor(url: URL): URL | undefined {
  const value = getProxyForUrl(url);
  if (value === '') return undefined;
  const proxy = URL.canParse(value) ? new URL(value) : undefined;
  if (proxy === undefined || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') || proxy.hostname === '') {
    // The value is not shown: it may hold the proxy's password.
    const name = url.protocol === 'https:' ? 'HTTPS_PROXY' : 'HTTP_PROXY';
    throw Object.assign(new TypeError(`the egress proxy (${name} or ALL_PROXY) is not an http:// or https:// URL`), { code: 'ERR_PROXY_INVALID' });
  }
  return proxy;
}

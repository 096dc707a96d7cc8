/**
 * `oidcFetch(client)`: openid-client's `customFetch` on the library's HTTP seam (`http/`), for
 * BindID's discovery, token and JWKS requests. It keeps what openid-client relies on from `fetch`:
 *
 * - redirects are never followed (openid-client asks for `redirect: 'manual'`): a 3xx is answered
 *   as it is, and the caller refuses it;
 * - openid-client's timeout (`signal`) bounds the whole request, body included: an aborted request
 *   rejects with the signal's reason (a `TimeoutError`), as `fetch` does;
 * - a network failure rejects with `TypeError('fetch failed')` whose `cause` is the socket error, as
 *   `fetch` does, so that the callers' checks (`isUnreachable`) map it to `ERR_BINDID_UNAVAILABLE`;
 *
 * and adds a bound: a body over {@link MAX_RESPONSE_BYTES} is refused (`ResponseTooLargeError`, not
 * a network failure). Nothing of the request (client secret, code, tokens) goes into an error.
 *
 * Why not `fetch`: Node's `fetch` (undici) costs about 1.2 ms of CPU per token request where
 * `node:https` costs about 0.14 ms (BENCHMARKS.md, signin profile).
 *
 * @module
 */
import type { CustomFetch, CustomFetchOptions } from 'openid-client';
import type { HttpBody, HttpClient, HttpResponse } from '../http/http-client.js';

/** Largest response body read from BindID (discovery, JWKS and token answers are a few KiB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Statuses whose response has no body in the Fetch API. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** A Fetch-compatible function for openid-client over `client`. */
export function oidcFetch(client: HttpClient): CustomFetch {
  return async (url, options) => {
    // openid-client always gives its timeout as a signal; 30 s (its default) should one be missing.
    const signal = options.signal ?? AbortSignal.timeout(30_000);
    let response: HttpResponse;
    let body: HttpBody;
    try {
      response = await client.request({ method: options.method, url, headers: options.headers, body: requestBody(options.body), signal, maxBytes: MAX_RESPONSE_BYTES });
      body = await response.body;
    } catch (err) {
      throw signal.aborted ? signal.reason : new TypeError('fetch failed', { cause: err });
    }
    if (body.truncated) {
      throw Object.assign(new Error(`the response body is larger than ${MAX_RESPONSE_BYTES} bytes`), { name: 'ResponseTooLargeError' });
    }
    const { status, statusText, headers } = response;
    try {
      return new Response(NULL_BODY.has(status) ? null : body.bytes, { status, statusText, headers });
    } catch (err) {
      throw new TypeError('fetch failed', { cause: err });
    }
  };
}

/** The request body as Node sends it (openid-client sends a form, or nothing). */
function requestBody(body: CustomFetchOptions['body']): Buffer | string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported request body');
}

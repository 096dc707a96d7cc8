/**
 * openid-client's `customFetch` on the HTTP seam (undici's `fetch` costs about 1.2 ms of CPU per token request, `node:https` 0.14 ms:
 * BENCHMARKS.md), keeping what openid-client relies on: no redirect followed, the `signal` bounds the whole request and an abort rejects
 * with its reason, a network failure is `TypeError('fetch failed')` (`isUnreachable`). Added: a body bound. No request data in an error.
 */
import type { CustomFetch, CustomFetchOptions } from 'openid-client';
import type { HttpBody, HttpClient, HttpResponse } from '../http/http-client.js';

/** Largest response body read from BindID (discovery, JWKS and token answers are a few KiB). */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Statuses whose response has no body in the Fetch API. */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

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
    if (body.truncated) throw Object.assign(new Error(`the response body is larger than ${MAX_RESPONSE_BYTES} bytes`), { name: 'ResponseTooLargeError' });
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

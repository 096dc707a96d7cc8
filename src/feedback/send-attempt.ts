/**
 * `sendAttempt(client, request)`: one session-feedback attempt through the library's HTTP seam
 * (`http/`: the deadline, the body bound, no redirect followed, the egress proxy), turned into an
 * {@link AttemptOutcome}. Never throws.
 *
 * @module
 */
import type { HttpBody, HttpClient, HttpResponse } from '../http/http-client.js';
import { type AttemptOutcome, classifyError, classifyStatus, deadlinePassed } from './classify-response.js';

/** One attempt to send. */
export interface AttemptRequest {
  url: string;
  /** Default `POST`. */
  method?: 'GET' | 'POST' | 'PATCH';
  /** The JSON body; none for a GET. */
  body?: string | undefined;
  /** Keep the body of a 2xx (up to `maxResponseBytes`) in the outcome instead of discarding it. */
  readBody?: boolean;
  headers: Record<string, string>;
  /** Aborts at the report's overall deadline. */
  signal: AbortSignal;
  /** Largest response body read, in bytes. */
  maxResponseBytes: number;
  /** Now, in ms since 1970 (for `Retry-After` dates). */
  now: () => number;
}

/**
 * One attempt. BindID's status decides the outcome; the body is read up to the bound (so that the
 * connection can be reused) and kept only for a 2xx with `readBody`. A body cut by the deadline
 * leaves the status standing: a 2xx was BindID's success.
 */
export async function sendAttempt(client: HttpClient, request: AttemptRequest): Promise<AttemptOutcome> {
  const { signal } = request;
  let response: HttpResponse;
  try {
    response = await client.request({
      method: request.method ?? 'POST',
      url: request.url,
      headers: request.headers,
      body: request.body,
      signal,
      maxBytes: request.maxResponseBytes,
    });
  } catch (err) {
    return signal.aborted ? deadlinePassed : classifyError(err);
  }
  const outcome = classifyStatus(response, request.now());
  const body: HttpBody = await response.body.catch(() => ({ bytes: Buffer.alloc(0), truncated: true }));
  return request.readBody && outcome.kind === 'ok' ? { ...outcome, body } : outcome;
}

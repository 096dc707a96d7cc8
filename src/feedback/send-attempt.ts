/**
 * `sendAttempt(client, request)`: one session-feedback attempt through the library's HTTP seam
 * (`http/`: the deadline, the body bound, no redirect followed, the egress proxy), turned into an
 * {@link AttemptOutcome}. Never throws.
 *
 * @module
 */
import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client.js';
import { type AttemptOutcome, classifyError, classifyStatus } from './classify-response.js';

/** One call to BindID's API; each attempt adds the signed headers, the deadline and the bound. */
export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  /** The JSON body; none for a GET. */
  body?: string | undefined;
  /** Keep the body of a 2xx (up to the bound) in the outcome instead of discarding it. */
  readBody?: boolean;
}

/**
 * One attempt. BindID's status decides the outcome; the body is read up to the bound (so that the
 * connection can be reused) and kept only for a 2xx with `readBody`. A body cut by the deadline
 * leaves the status standing: a 2xx was BindID's success.
 */
export async function sendAttempt(client: HttpClient, request: HttpRequest & ApiCall, now: () => number): Promise<AttemptOutcome> {
  let response: HttpResponse;
  try {
    response = await client.request(request);
  } catch (err) {
    return classifyError(err); // cut by the deadline: the caller, which checks its signal first, reports the timeout
  }
  const outcome = classifyStatus(response, now()); // now, for a `Retry-After` date
  const body = await response.body.catch(() => undefined); // cut by the deadline or a reset: nothing to keep
  return request.readBody && body && outcome.kind === 'ok' ? { ...outcome, body } : outcome;
}

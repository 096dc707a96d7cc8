import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client.js';
import { type AttemptOutcome, classifyError, classifyStatus } from './classify-response.js';

/** One call to BindID's API; each attempt adds the signed headers, the deadline and the bound. */
export interface ApiCall {
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  body?: string | undefined;
  /** Keep a 2xx's body (up to the bound) in the outcome. */
  readBody?: boolean;
}

/**
 * One attempt, never throws. BindID's status decides; the body is read up to the bound (so that the
 * connection can be reused). A body cut by the deadline leaves the status standing: a 2xx was BindID's success.
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

/**
 * `probe(request)`: the doctor's only way out to the network, through the library's HTTP seam
 * (`http/`): one request (method, URL, headers, body), a deadline for all of it, no redirect
 * followed, the answer body read up to a byte bound, never past it (a longer body stops the read
 * and the connection), and the egress proxy of the environment as the library uses it. It knows
 * nothing of secrets or checks: the policy (what may be sent where, the `Date` headers, redaction)
 * is in `ask.ts`.
 *
 * @module
 */
import { HttpClient, type HttpResponse } from '../http/http-client.js';

/** A request to make. */
export interface ProbeRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Time allowed for the whole request, answer body included, in ms. */
  readonly timeoutMs: number;
  /** The most bytes of answer body read; a longer body is a `problem`. */
  readonly maxBytes: number;
}

/** An answer. */
export interface ProbeAnswer {
  readonly status: number;
  /** The media type, lower-cased, without parameters (`''` when absent). */
  readonly mediaType: string;
  /** The `Location` header of a redirect. */
  readonly location?: string;
  /** The `Date` header. */
  readonly date?: string;
  /** The body, decoded as UTF-8. */
  readonly text: string;
}

/**
 * An answer, or why there is none: no answer (connection refused, timeout...), or one whose body is
 * over the bound (`answered: true`).
 */
export type ProbeResult = { ok: true; answer: ProbeAnswer } | { ok: false; problem: string; answered?: true };

/** The doctor's connections: kept alive between the checks of a run (idle ones do not hold the process). */
const client = new HttpClient();

/** Make one request (redirects not followed, the body read up to `maxBytes`). */
export async function probe(request: ProbeRequest): Promise<ProbeResult> {
  const { host } = new URL(request.url);
  try {
    const { timeoutMs, ...sent } = request;
    const res = await client.request({ ...sent, signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.body;
    if (body.truncated) {
      const problem = `the answer from ${host} is larger than ${size(request.maxBytes)}: the doctor stopped reading it`;
      return { ok: false, problem, answered: true };
    }
    return { ok: true, answer: answerOf(res, new TextDecoder().decode(body.bytes)) };
  } catch (err) {
    return { ok: false, problem: `no answer from ${host} (${failureName(err, request.timeoutMs)})` };
  }
}

function answerOf(res: HttpResponse, text: string): ProbeAnswer {
  const location = res.headers.get('location');
  const date = res.headers.get('date');
  const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return {
    status: res.status,
    mediaType,
    text,
    ...(location === null ? {} : { location }),
    ...(date === null ? {} : { date }),
  };
}

/** `1 MiB`, or a number of bytes. */
function size(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** A short name for why a request failed: `ECONNREFUSED`, `ENOTFOUND`, `timed out after 10000 ms`... (Node's error code, never its message). */
function failureName(err: unknown, timeoutMs: number): string {
  const { name, code } = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; code?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'request failed';
}

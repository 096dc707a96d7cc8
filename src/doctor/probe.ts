/**
 * `probe(request)`: the doctor's only way out to the network, kept narrow so it can be swapped for
 * the library's HTTP seam: one request (method, URL, headers, body), a deadline for all of it, no
 * redirect followed, and the answer body read up to a byte bound, never past it (a longer body
 * stops the read and the connection). It knows nothing of secrets or checks: the policy (what may be
 * sent where, the `Date` headers, redaction) is in `ask.ts`.
 *
 * @module
 */

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

/** Make one request (redirects not followed, the body read up to `maxBytes`). */
export async function probe(request: ProbeRequest): Promise<ProbeResult> {
  const { host } = new URL(request.url);
  const stop = new AbortController();
  try {
    const res = await fetch(request.url, {
      method: request.method,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(request.timeoutMs), stop.signal]),
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const text = await readBounded(res, request.maxBytes);
    if (text === undefined) {
      stop.abort();
      const problem = `the answer from ${host} is larger than ${size(request.maxBytes)}: the doctor stopped reading it`;
      return { ok: false, problem, answered: true };
    }
    return { ok: true, answer: answerOf(res, text) };
  } catch (err) {
    return { ok: false, problem: `no answer from ${host} (${failureName(err, request.timeoutMs)})` };
  }
}

/** The body as text, or `undefined` as soon as it is (or announces to be) longer than `maxBytes`. */
async function readBounded(res: Response, maxBytes: number): Promise<string | undefined> {
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) return undefined;
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new TextDecoder().decode(Buffer.concat(chunks));
    length += value.byteLength;
    if (length > maxBytes) return undefined;
    chunks.push(value);
  }
}

function answerOf(res: Response, text: string): ProbeAnswer {
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

/**
 * A short name for why a request failed: `ECONNREFUSED`, `ENOTFOUND`, `timed out after 10000 ms`...
 * Read by shape, not `instanceof`: `fetch` may throw errors of another realm.
 */
function failureName(err: unknown, timeoutMs: number): string {
  const { name, cause } = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const { code, message } = (typeof cause === 'object' && cause !== null ? cause : {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  if (typeof message === 'string' && /^[\w .:-]{1,80}$/.test(message)) return message; // undici: "bad port"...
  return typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'request failed';
}

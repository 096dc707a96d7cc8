/**
 * One HTTP request of the doctor: `fetch` with a timeout and redirects not followed, the answer read
 * as text (capped), and every `Date` header kept for the clock check. Text that goes into a check's
 * detail passes through {@link Redactor}, so a host that echoes the secret, the dummy token or the
 * HMAC cannot make the doctor print it.
 *
 * @module
 */

/** Longest answer body read, in characters. */
const MAX_TEXT = 64 * 1024;

/** An answer. */
export interface ProbeAnswer {
  readonly status: number;
  /** The media type, lower-cased, without parameters (`''` when absent). */
  readonly mediaType: string;
  /** The `Location` header of a redirect. */
  readonly location?: string;
  /** The body, cut to {@link MAX_TEXT} characters. */
  readonly text: string;
}

/** An answer, or why there is none (connection refused, timeout...). */
export type ProbeResult = { ok: true; answer: ProbeAnswer } | { ok: false; problem: string };

/** A `Date` header seen, with the local time of its receipt (ms since 1970). */
export interface SeenDate {
  readonly host: string;
  readonly date: number;
  readonly localAt: number;
}

/** Replaces secrets in text about to be shown. */
export class Redactor {
  private readonly secrets: string[] = [];

  /** Never show `value` (ignored when shorter than 4 characters, which could hide ordinary words). */
  add(value: string): void {
    if (value.length >= 4) this.secrets.push(value);
  }

  /** `text` with every secret replaced by `[redacted]`. */
  clean(text: string): string {
    return this.secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  }
}

/** The state shared by the probes of one run. */
export interface ProbeContext {
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly dates: SeenDate[];
  readonly redactor: Redactor;
}

/** A request to make. */
export interface ProbeRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** Make one request (redirects not followed). */
export async function probe(url: string, request: ProbeRequest, ctx: ProbeContext): Promise<ProbeResult> {
  try {
    const res = await fetch(url, {
      method: request.method ?? 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.timeoutMs),
      headers: { accept: 'application/json', ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const localAt = ctx.now();
    const date = Date.parse(res.headers.get('date') ?? '');
    if (Number.isFinite(date)) ctx.dates.push({ host: new URL(url).host, date, localAt });
    const text = (await res.text()).slice(0, MAX_TEXT);
    const location = res.headers.get('location');
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    return { ok: true, answer: { status: res.status, mediaType, text, ...(location === null ? {} : { location }) } };
  } catch (err) {
    return { ok: false, problem: `no answer from ${new URL(url).host} (${failureName(err, ctx.timeoutMs)})` };
  }
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

/** The body as a JSON object, or `undefined`. */
export function jsonObject(answer: ProbeAnswer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(answer.text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `what redirects (302) to <location>`, for a 3xx answer; `undefined` otherwise. */
export function redirected(what: string, answer: ProbeAnswer): string | undefined {
  if (answer.status < 300 || answer.status > 399) return undefined;
  return `${what} redirects (${answer.status}) to ${answer.location ?? '(no Location)'}`;
}

/**
 * `ask(url, request, ctx)`: one request of a check, with the doctor's policy around {@link probe}:
 *
 * - a request that carries the client secret, or a report signed with it, goes only over https, or
 *   plain http to this machine (`isLoopback`, as the library's own options allow): otherwise it is
 *   not sent at all;
 * - redirects are never followed and every answer body is read up to {@link MAX_BODY_BYTES};
 * - every `Date` header is kept for the clock check.
 *
 * And the helpers that read an answer: `jsonObject`, `redirected`.
 *
 * @module
 */
import { isLoopback } from '../internal/is-loopback.js';
import { type ProbeAnswer, type ProbeResult, probe } from './probe.js';
import type { Redactor } from './redactor.js';

/** The most an answer body may have: 1 MiB (BindID's answers are a few KB), as the library reads. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A `Date` header seen, with the local time of its receipt (ms since 1970). */
export interface SeenDate {
  readonly host: string;
  readonly date: number;
  readonly localAt: number;
}

/** The state shared by the requests of one run. */
export interface ProbeContext {
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly dates: SeenDate[];
  readonly redactor: Redactor;
}

/** A request of a check. */
export interface AskRequest {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The request carries the client secret or a value signed with it: https (or loopback) only. */
  readonly secret?: boolean;
}

/** Whether `url` is https, or plain http to this machine: where the library sends credentials. */
export function isSecureOrLoopback(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
}

/** Make one request of a check (see the module's rules). */
export async function ask(url: string, request: AskRequest, ctx: ProbeContext): Promise<ProbeResult> {
  const target = new URL(url);
  if (request.secret === true && !isSecureOrLoopback(target)) {
    return { ok: false, problem: `not sent: ${target.origin} is plain http off this machine, and the request carries the client secret` };
  }
  const result = await probe({
    method: request.method ?? 'GET',
    url,
    headers: { accept: 'application/json', ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    timeoutMs: ctx.timeoutMs,
    maxBytes: MAX_BODY_BYTES,
  });
  const date = result.ok ? Date.parse(result.answer.date ?? '') : Number.NaN;
  if (Number.isFinite(date)) ctx.dates.push({ host: target.host, date, localAt: ctx.now() });
  return result;
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

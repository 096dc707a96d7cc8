/**
 * `AxiosTransport`: sends one session-feedback attempt with axios and turns what happened into an
 * {@link AttemptOutcome}. It owns the request settings that keep the access token where it belongs
 * (no redirects, no proxy of its own instance, absolute URL), the per-attempt deadline (an answer
 * after it is dropped) and the capped draining of the response body.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import axiosDefault, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { type AttemptOutcome, classifyError, classifyStatus, deadlinePassed, notAResponse } from './classify-response.js';

/** One attempt to send. */
export interface AttemptRequest {
  url: string;
  /** Default `POST`. */
  method?: 'GET' | 'POST' | 'PATCH';
  /** The JSON body; none for a GET. */
  body?: string;
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
 * Sends attempts with the given axios instance (the http or the fetch adapter), or with a private
 * instance with keep-alive agents and no proxy.
 */
export class AxiosTransport {
  readonly #axios: AxiosInstance;
  readonly #own: boolean;
  readonly #agents: { http: http.Agent; https: https.Agent } | undefined;

  constructor(injected?: AxiosInstance) {
    if (injected !== undefined) {
      this.#axios = injected;
      this.#own = false;
      this.#agents = undefined;
      return;
    }
    this.#agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
    };
    this.#axios = axiosDefault.create({ httpAgent: this.#agents.http, httpsAgent: this.#agents.https, proxy: false });
    this.#own = true;
  }

  /** One attempt: never throws, every failure is an outcome. */
  async attempt(request: AttemptRequest): Promise<AttemptOutcome> {
    const { body, signal } = request;
    const config: AxiosRequestConfig = {
      method: request.method ?? 'POST',
      url: request.url,
      // An instance's `baseURL` with `allowAbsoluteUrls: false` would send the token elsewhere.
      allowAbsoluteUrls: true,
      data: body,
      headers: request.headers,
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'stream',
      transformRequest: [(data: unknown) => data],
      // The body is capped by drain(): axios' own cap would fail a 2xx with a large Content-Length.
      maxContentLength: -1,
      maxBodyLength: Buffer.byteLength(body ?? '') + 1,
      timeout: 0,
      signal,
    };
    if (this.#own) config.proxy = false;
    let response: unknown;
    try {
      // The deadline holds even when an injected adapter or interceptor ignores the signal: an
      // answer that comes after it is dropped (its body stream destroyed), never taken.
      response = await settleBy(this.#axios.request(config), signal, (late: unknown) => toNodeStream(isResponse(late) ? late.data : late)?.destroy());
    } catch (err) {
      return classifyError(err);
    }
    if (response === DEADLINE_PASSED) return deadlinePassed;
    if (!isResponse(response)) {
      toNodeStream(response)?.destroy(); // a bare body stream would hold its socket
      return notAResponse;
    }
    const outcome = classifyStatus(response, request.now());
    const kept = request.readBody && outcome.kind === 'ok' ? { bytes: [] as Buffer[], truncated: false } : undefined;
    await drain(response.data, request.maxResponseBytes, signal, kept);
    return kept && outcome.kind === 'ok' ? { ...outcome, body: { bytes: Buffer.concat(kept.bytes), truncated: kept.truncated } } : outcome;
  }

  /** Close the keep-alive connections of the private instance's agents (not of an injected axios). */
  close(): void {
    this.#agents?.http.destroy();
    this.#agents?.https.destroy();
  }
}

/** What {@link settleBy} gives when the signal aborted first. */
const DEADLINE_PASSED: unique symbol = Symbol('deadline passed');

/**
 * `work`, or {@link DEADLINE_PASSED} as soon as `signal` aborts, whichever comes first. A value that
 * arrives later goes to `dropLate` (to free its resources); a late rejection is swallowed.
 */
function settleBy<T>(work: Promise<T>, signal: AbortSignal, dropLate: (late: T) => void): Promise<T | typeof DEADLINE_PASSED> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const onAbort = () => {
      settled = true;
      resolve(DEADLINE_PASSED);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) dropLate(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(err);
      },
    );
  });
}

/** Whether an injected instance handed back an axios response (a response interceptor may not). */
function isResponse(value: unknown): value is AxiosResponse {
  const status = (value as { status?: unknown } | null)?.status;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599;
}

/**
 * Read and discard a response body, at most `cap` bytes, so the keep-alive socket can be reused.
 * Takes a Node stream (http adapter) or a web `ReadableStream` (fetch adapter); anything else is
 * left alone. Stops, destroying the stream, past the cap, on error or when `signal` aborts. With
 * `kept`, the chunks up to the cap are kept there (and `truncated` set past it).
 */
function drain(data: unknown, cap: number, signal: AbortSignal, kept?: { bytes: Buffer[]; truncated: boolean }): Promise<void> {
  const stream = toNodeStream(data);
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = () => {
      signal.removeEventListener('abort', stop);
      resolve();
    };
    const stop = () => {
      stream.destroy();
      finish();
    };
    // Errors after a stop (an abort racing the end) must not go unhandled.
    stream.on('error', stop);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk: Buffer | string) => {
      bytes += chunk.length;
      if (bytes > cap) {
        if (kept) kept.truncated = true;
        return stop();
      }
      kept?.bytes.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
    stream.on('end', finish);
    stream.on('close', finish);
    stream.resume();
  });
}

/** A response body as a Node stream: itself, a web `ReadableStream` wrapped, or `undefined` for anything else. */
function toNodeStream(value: unknown): Readable | undefined {
  const v = value as { on?: unknown; resume?: unknown; destroy?: unknown; getReader?: unknown } | null;
  if (typeof v?.on === 'function' && typeof v.resume === 'function' && typeof v.destroy === 'function') {
    return value as Readable;
  }
  // Duck-typed: the stream may come from another realm (a test runner's vm context).
  if (typeof v?.getReader === 'function') return Readable.fromWeb(value as WebReadableStream);
  return undefined;
}

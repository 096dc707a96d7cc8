/**
 * Small `node:http` helpers of the emulator: a capped body reader, JSON, HTML and redirect answers,
 * and the error type handlers throw to answer `{ error, error_description }`.
 *
 * @module
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Largest request body read, in bytes. A larger body gets 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Past this many bytes the rest of a too-large body is no longer drained: the emulator answers 413
 * at once and closes the connection. Below it the body is drained, so the client reads a clean 413.
 */
const MAX_DRAIN_BYTES = 1024 * 1024;

/** An error a handler throws to answer `status` with a JSON `{ error, error_description }`. */
export class HttpError extends Error {
  /**
   * @param status HTTP status
   * @param error OAuth-style error code, e.g. `invalid_request`
   * @param description human-readable `error_description`; never a secret or a token
   * @param headers extra response headers
   */
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
    readonly headers: OutgoingHttpHeaders = {},
  ) {
    super(description);
    this.name = 'HttpError';
  }
}

function tooLarge(closeConnection: boolean): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `the request body is larger than ${MAX_BODY_BYTES} bytes`,
    closeConnection ? { Connection: 'close' } : {},
  );
}

/**
 * Read the whole request body, at most {@link MAX_BODY_BYTES}.
 *
 * @throws HttpError 413 for a larger body; 400 when the client aborts.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_DRAIN_BYTES) return Promise.reject(tooLarge(true));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(true));
      }
    });
    req.once('end', () => {
      if (size > MAX_BODY_BYTES) reject(tooLarge(false));
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    const aborted = (): void => reject(new HttpError(400, 'invalid_request', 'the request was aborted'));
    req.once('error', aborted);
    req.once('close', () => {
      if (!req.complete) aborted();
    });
  });
}

/** The media type of the request (`application/json`), lower-cased, without parameters. */
export function mediaType(req: IncomingMessage): string {
  const header = req.headers['content-type'];
  if (header === undefined) return '';
  const semicolon = header.indexOf(';');
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

/** What {@link parseJson} returns for text that is not JSON. */
export const NOT_JSON: unique symbol = Symbol('not JSON');

/** Parse a body as JSON; {@link NOT_JSON} when it is not JSON. */
export function parseJson(body: Buffer | string): unknown {
  try {
    return JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    return NOT_JSON;
  }
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Parse an `application/x-www-form-urlencoded` body. */
export function parseForm(body: Buffer): URLSearchParams {
  return new URLSearchParams(body.toString('utf8'));
}

/** The first of `names` that appears more than once in `params`, if any. */
export function repeatedParam(params: URLSearchParams, names: readonly string[]): string | undefined {
  return names.find((name) => params.getAll(name).length > 1);
}

/** Answer `status` with `body` as JSON, never cached. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  sendText(res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

/** Answer `status` with a JSON `{ error, error_description }`. */
export function sendError(res: ServerResponse, err: HttpError): void {
  sendJson(res, err.status, { error: err.error, error_description: err.message }, err.headers);
}

/** Answer `status` with `text` of the given content type, never cached. */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers: OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Answer `status` with a self-contained HTML page that may not load anything or be framed. */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  sendText(res, status, html, 'text/html; charset=utf-8', {
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
}

/** Answer 302 to `location`. */
export function redirect(res: ServerResponse, location: URL): void {
  res.writeHead(302, { Location: location.href, 'Content-Length': 0, 'Cache-Control': 'no-store' });
  res.end();
}

/**
 * The example's own page and form safety, the same care express-bindid takes with its pages:
 * HTML escaping, no framing (clickjacking), and an error status that tells the client's mistakes
 * (4xx) from the server's (500) without echoing or logging what the client sent.
 */
import type { NextFunction, Request, Response } from 'express';
import { isBindIdError } from 'express-bindid';

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Middleware: no page of this app may be framed by another site (or by itself). */
export function noFraming(_req: Request, res: Response, next: NextFunction): void {
  res.set('X-Frame-Options', 'DENY');
  res.set('Content-Security-Policy', "frame-ancestors 'none'");
  next();
}

/** A body-parser error (`express.urlencoded`): a 4xx status and a `type` such as `entity.too.large`. */
function bodyParserError(err: unknown): { status: number; type: string } | undefined {
  const e = err as { status?: unknown; type?: unknown } | null;
  if (typeof e?.type !== 'string' || typeof e.status !== 'number') return undefined;
  if (!Number.isInteger(e.status) || e.status < 400 || e.status > 499) return undefined;
  return { status: e.status, type: /^[a-z.]{1,40}$/.test(e.type) ? e.type : 'unknown' };
}

const BODY_MESSAGES: Record<number, string> = {
  413: 'The form was too large to be accepted.',
  415: 'The form was sent in an encoding this site does not accept.',
};

/**
 * What to answer for an error and what to log. A coded express-bindid error answers its own status
 * (its message only when `expose`); a body-parser error answers its 4xx with a fixed message and logs
 * only its status and type (never `err.body` or `err.message`, which may quote the form, password
 * included); anything else is a 500 whose stack is logged.
 */
export function describeError(err: unknown): { status: number; message: string; log?: string } {
  if (isBindIdError(err)) {
    return {
      status: err.status,
      message: err.expose ? err.message : 'Please try again.',
      ...(err.status >= 500 ? { log: `request failed: ${err.code}` } : {}),
    };
  }
  const body = bodyParserError(err);
  if (body) {
    return {
      status: body.status,
      message: BODY_MESSAGES[body.status] ?? 'The request could not be read.',
      log: `request refused: HTTP ${body.status} (${body.type})`,
    };
  }
  return { status: 500, message: 'Please try again.', log: `request failed: ${err instanceof Error ? (err.stack ?? err.name) : typeof err}` };
}

/**
 * The form parser of the router's POST routes. body-parser's errors carry the raw body (`err.body = 'password=...'`): an app that
 * logs errors would log the password, so each becomes a body-free coded error. The body must arrive within {@link BODY_TIMEOUT_MS}
 * (Node's own deadline is 300 s: a slow-loris on the password form). @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BindIdStateError, ErrorCode, type ErrorCodeOf, safeCause } from '../errors.js';
import { noStore } from './route-helpers.js';

/** How long a form's body may take to arrive once the parser starts reading it, in ms: 10 s. */
export const BODY_TIMEOUT_MS = 10_000;

/** How body-parser error types (`err.type`) are answered: code, status and a message of ours. */
const PARSER_ERRORS: Readonly<Record<string, { code: ErrorCodeOf<'BindIdStateError'>; status: number; message: string }>> = {
  'entity.too.large': { code: ErrorCode.BODY_TOO_LARGE, status: 413, message: 'The form is larger than 16 kB.' },
  'charset.unsupported': { code: ErrorCode.UNSUPPORTED_BODY, status: 415, message: 'The form uses a charset this page cannot read.' },
  'encoding.unsupported': { code: ErrorCode.UNSUPPORTED_BODY, status: 415, message: 'The form uses a content-encoding this page cannot read.' },
  'parameters.too.many': { code: ErrorCode.INVALID_BODY, status: 400, message: 'The form has more fields than this page takes.' },
};

/**
 * `express.urlencoded` (16 kB, 20 fields, no nesting) whose errors reach `next(err)` once, coded, with a `cause` naming
 * only the parser's error type; a late body: `ERR_BINDID_BODY_TIMEOUT` (408), the rest of it never read.
 */
export function formBodyParser(): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  return function bindIdFormBodyParser(req: Request, res: Response, next: NextFunction): void {
    noStore(res); // the routes after it set it too; here it covers the parser's own errors
    let called = false;
    const first = (): boolean => {
      if (called) return false;
      called = true;
      clearTimeout(deadline);
      return true;
    };
    const deadline = setTimeout(() => {
      if (!first()) return;
      stopReading(req, res);
      const cause = new Error(`the form's body did not arrive within ${BODY_TIMEOUT_MS} ms`);
      next(new BindIdStateError(ErrorCode.BODY_TIMEOUT, 'The form took too long to arrive.', { status: 408, cause }));
    }, BODY_TIMEOUT_MS);
    parse(req, res, (err?: unknown) => {
      if (!first()) return;
      if (err === undefined || err === null) return next();
      if (err === 'route' || err === 'router') return next(err);
      next(parserError(err));
    });
  };
}

/** Read no more of the body, from the request (a decompressor) or the socket, and close the connection after the answer. */
function stopReading(req: Request, res: Response): void {
  req.unpipe();
  req.pause();
  req.socket.pause();
  if (!res.headersSent) res.set('Connection', 'close');
}

function parserError(err: unknown): BindIdStateError {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  const known = typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type] : undefined;
  const label = typeof type === 'string' && /^[a-z.]{1,40}$/.test(type) ? type : 'unknown';
  const cause = safeCause(err, `the form parser failed (${label})`);
  if (known) return new BindIdStateError(known.code, known.message, { status: known.status, cause });
  const serverFault = typeof status === 'number' && status >= 500;
  return new BindIdStateError(ErrorCode.INVALID_BODY, 'The form could not be read.', { status: serverFault ? 500 : 400, cause });
}

/**
 * The form parser of the router's own POST routes (confirm, cancel). body-parser's errors carry the
 * raw body (`err.body = 'password=...'`) and its text: an app whose error handler logs errors would
 * log the password. Here every parser error becomes a coded {@link BindIdError} with nothing of the
 * body on it.
 *
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { BindIdStateError, ErrorCode, type ErrorCodeOf, safeCause } from '../errors.js';
import { noStore } from './route-helpers.js';

/** How body-parser error types (`err.type`) are answered: code, status and a message of ours. */
const PARSER_ERRORS: Readonly<Record<string, { code: ErrorCodeOf<'BindIdStateError'>; status: number; message: string }>> = {
  'entity.too.large': { code: ErrorCode.BODY_TOO_LARGE, status: 413, message: 'The form is larger than 16 kB.' },
  'charset.unsupported': { code: ErrorCode.UNSUPPORTED_BODY, status: 415, message: 'The form uses a charset this page cannot read.' },
  'encoding.unsupported': {
    code: ErrorCode.UNSUPPORTED_BODY,
    status: 415,
    message: 'The form uses a content-encoding this page cannot read.',
  },
  'parameters.too.many': { code: ErrorCode.INVALID_BODY, status: 400, message: 'The form has more fields than this page takes.' },
};

/**
 * `express.urlencoded` (16 kB, 20 fields, no nesting) whose errors reach `next(err)` once, as
 * `ERR_BINDID_BODY_TOO_LARGE` (413), `ERR_BINDID_UNSUPPORTED_BODY` (415) or `ERR_BINDID_INVALID_BODY`
 * (400; 500 for a server-side fault), each with a `cause` that names only the parser's error type.
 */
export function formBodyParser(): RequestHandler {
  const parse = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  return function bindIdFormBodyParser(req: Request, res: Response, next: NextFunction): void {
    let called = false;
    parse(req, res, (err?: unknown) => {
      if (called) return;
      called = true;
      if (err === undefined || err === null) return next();
      if (err === 'route' || err === 'router') return next(err);
      noStore(res);
      next(parserError(err));
    });
  };
}

/** A coded, body-free error for a body-parser error. */
export function parserError(err: unknown): BindIdStateError {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  const known = typeof type === 'string' && Object.hasOwn(PARSER_ERRORS, type) ? PARSER_ERRORS[type] : undefined;
  const label = typeof type === 'string' && /^[a-z.]{1,40}$/.test(type) ? type : 'unknown';
  const cause = safeCause(err, `the form parser failed (${label})`);
  if (known) return new BindIdStateError(known.code, known.message, { status: known.status, cause });
  const serverFault = typeof status === 'number' && status >= 500;
  return new BindIdStateError(ErrorCode.INVALID_BODY, 'The form could not be read.', { status: serverFault ? 500 : 400, cause });
}

/** Helpers shared by the router's routes. @module */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { BindIdError } from '../errors.js';
import { logger, printable } from '../internal/log.js';

const log = logger('login');

/** Wrap an async route: never cached (nor an error page answered for it), its errors reach `next(err)` exactly once, in Express 4 and 5. */
export function asyncRoute(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    noStore(res);
    fn(req, res).then(undefined, (err: unknown) => {
      if (err instanceof BindIdError) log('%s %s failed: %s', req.method, printable(req.path), err.code);
      if (res.headersSent) {
        log('error after the response started; not forwarded');
        return;
      }
      next(err);
    });
  };
}

/** Never cache this response (nor an error page answered for it). */
export function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

/** `303 See Other` with an empty body, as passport's `redirect` does (Express's `res.redirect` negotiates a body on `Accept`). */
export function seeOther(res: Response, url: string): void {
  res.location(url);
  res.statusCode = 303;
  res.setHeader('Content-Length', '0');
  res.end();
}

/** An own field of the parsed body. */
export function bodyField(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, name)) return undefined;
  return (body as Record<string, unknown>)[name];
}

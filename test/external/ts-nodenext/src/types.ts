// What the package's declarations add to Express and express-session, as a consumer sees them.
// Compiled only for its type errors (it imports nothing at run time but types).
import type { NextFunction, Request, Response } from 'express';
import type { BindIdRequestState, PendingLogin } from 'express-bindid';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

export function handler(req: Request, res: Response, _next: NextFunction): void {
  // express-session's SessionData is augmented with the library's state (optional).
  assertType<Equal<NonNullable<typeof req.session.bindid>['pending'], PendingLogin | undefined>>();
  const pending: PendingLogin | undefined = req.session.bindid?.pending;
  // req.bindid exists only after the confirmation middleware: optional.
  assertType<Equal<typeof req.bindid, BindIdRequestState | undefined>>();
  // @ts-expect-error req.bindid may be undefined
  const alias: string = req.bindid.alias;
  res.json({ alias, sub: pending?.claims.sub });
}

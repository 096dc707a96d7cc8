/** A returning BindID user: the app's `findUserByAlias` decides whom it is, or that the link was revoked. */
import type { Request } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';
import { logger, printable } from '../internal/log.js';
import type { BindIdClaims } from '../session/pending-login.js';
import { CONFIRM_AGAIN, type FlowSettings } from './flow-options.js';

const log = logger('login');

/** The app user of `alias`, `'confirm-again'` when the app revoked the link; `ERR_BINDID_UNKNOWN_ALIAS` (403) for none. */
export async function recognise<U>(settings: FlowSettings<U>, req: Request, alias: string, claims: BindIdClaims): Promise<U | 'confirm-again'> {
  const user = await settings.findUserByAlias(alias, claims, req);
  if (user === CONFIRM_AGAIN) {
    log('link of alias %s revoked by the app: confirming again', printable(alias));
    return 'confirm-again';
  }
  if (!user || typeof user === 'symbol') {
    log('alias %s maps to no user: sign-in refused', printable(alias));
    throw new BindIdStateError(ErrorCode.UNKNOWN_ALIAS, 'This BindID account is not linked to an active account here.', { status: 403 });
  }
  return user;
}

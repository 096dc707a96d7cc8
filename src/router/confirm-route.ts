/**
 * `GET /bindid/confirm` shows the confirm page; `POST` checks CSRF and origin, runs the passport-local strategy,
 * reports to BindID, then `req.login` → `returnTo`. A wrong password re-renders the page and sends nothing to BindID. @module
 */
import type { Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { confirmPendingLogin } from '../confirm/confirm-pending-login.js';
import { setAttemptGuardContext } from '../confirm/attempt-guard.js';
import { BindIdArgumentError, BindIdError, ErrorCode } from '../errors.js';
import { emit } from '../internal/events.js';
import { logger } from '../internal/log.js';
import { assertSameBrowser } from '../session/browser-binding.js';
import { assertSameOriginRequest } from '../session/csrf.js';
import { clearPendingLogin, getPendingLogin, type PendingLogin } from '../session/pending-login.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { identityOf } from './confirm-page.js';
import { asyncRoute, bodyField, seeOther } from './route-helpers.js';
import type { PassportLike, RouterContext } from './router-options.js';
import { credentialFields } from './strategy-check.js';

const log = logger('login');

export function confirmPageRoute<U>(ctx: RouterContext<U>): RequestHandler {
  return asyncRoute(async (req, res) => {
    requireServerSession(req);
    ctx.checkStrategy(req); // before a form the strategy could not check is shown
    const pending = getPendingLogin(req, ctx.flow.link.now());
    if (pending) assertSameBrowser(req, pending.browser); // planted from another browser: never shown
    if (!pending && typeof req.isAuthenticated === 'function' && req.isAuthenticated()) {
      // Signed in already (e.g. the back button after confirming): nothing to confirm, go on.
      log('confirm page: signed in already, on to %s', ctx.flow.defaultReturnTo);
      return seeOther(res, ctx.flow.defaultReturnTo);
    }
    log(pending ? 'confirm page shown' : 'confirm page: nothing to confirm (expired, used or cancelled)');
    if (!pending) return ctx.responses.page(req, res, { view: 'expired', status: 400 });
    return ctx.responses.page(req, res, { view: 'confirm', status: 200, identity: identityOf(pending.claims) });
  });
}

export function confirmPostRoute<U>(ctx: RouterContext<U>): RequestHandler {
  const { messages, flow: { onLinkFailed } } = ctx;
  return asyncRoute(async (req, res) => {
    requireServerSession(req);
    ctx.checkStrategy(req);
    assertSameOriginRequest(req, bodyField(req, '_csrf'), ctx.flow.appOrigin);
    const pending = getPendingLogin(req, ctx.flow.link.now());
    const page = ctx.responses.page.bind(ctx.responses);
    if (!pending) return page(req, res, { view: 'expired', status: 400 });
    assertSameBrowser(req, pending.browser); // before any password is checked
    requirePassport(req);
    const identity = identityOf(pending.claims);
    const sub = pending.claims.sub;
    const typedField = bodyField(req, credentialFields(ctx.passport, ctx.strategy).username);
    const typed = typeof typedField === 'string' ? typedField.slice(0, 256) : '';
    const unavailable = () => page(req, res, { view: 'confirm', status: 503, identity, error: messages.unavailable });

    // The strategy reserves the attempt in the store (atomically) before it checks the password.
    const outcome = await checkPassword(ctx, req, res, pending);
    if (outcome === 'unavailable') return unavailable();
    if (outcome === 'exhausted' || outcome === 'refused') {
      // The pending login's attempts are used up (the strategy removed it); one event per pending login.
      if (outcome === 'exhausted') emit('onLinkFailed', onLinkFailed, { req, reason: 'too_many_attempts', sub });
      return page(req, res, { view: 'expired', status: 400 });
    }
    if (outcome === undefined) {
      emit('onLinkFailed', onLinkFailed, { req, reason: 'bad_credentials', sub });
      return page(req, res, { view: 'confirm', status: 401, identity, error: messages.invalidCredentials, ...(typed ? { username: typed } : {}) });
    }
    const returnTo = req.session.bindid?.returnTo ?? ctx.flow.defaultReturnTo;
    try {
      await confirmPendingLogin(req, outcome.user, ctx.flow.link, pending);
    } catch (err) {
      return answerConfirmError(ctx, { req, res, sub, unavailable }, err);
    }
    ctx.responses.finishAt(req, res, returnTo);
  });
}

/** The strategy's user, `undefined` for a failed check, or why the attempt was not made. */
type PasswordCheck<U> = { user: U } | undefined | 'exhausted' | 'refused' | 'unavailable';

/** Run the app's strategy under the router's attempt limits. */
async function checkPassword<U>(ctx: RouterContext<U>, req: Request, res: Response, pending: PendingLogin): Promise<PasswordCheck<U>> {
  const context = setAttemptGuardContext(req, ctx.guard, pending);
  let user: U | undefined;
  try {
    user = await authenticate<U>(ctx.passport, ctx.strategy, req, res);
  } catch (err) {
    if (err instanceof BindIdError && (err.code === ErrorCode.STORE_UNAVAILABLE || err.code === ErrorCode.STORE_FULL)) return 'unavailable';
    throw err;
  }
  if (!context.guarded) {
    const message = `bindIdRouter: the strategy "${ctx.strategy}" was not made by createLocalStrategy, so its attempts cannot be limited.`;
    throw new BindIdArgumentError(ErrorCode.INVALID_OPTION, message, { status: 500 });
  }
  if (context.link) return context.link;
  return user === undefined ? undefined : { user };
}

type ConfirmAttempt = { req: Request; res: Response; sub: string; unavailable: () => Promise<void> };

/** The page for a confirmation that did not link; rethrows what the router does not answer itself. */
async function answerConfirmError<U>(ctx: RouterContext<U>, { req, res, sub, unavailable }: ConfirmAttempt, err: unknown): Promise<void> {
  if (!(err instanceof BindIdError)) throw err;
  const { messages, flow: { onLinkFailed } } = ctx;
  if (isLinkConflict(err)) {
    // Starting again would be refused the same way: the page says what to do instead.
    clearPendingLogin(req);
    emit('onLinkFailed', onLinkFailed, { req, reason: 'already_linked', sub, error: err });
    return ctx.responses.page(req, res, { view: 'already-linked', status: 409, error: messages.alreadyLinked });
  }
  switch (err.code) {
    case ErrorCode.STORE_UNAVAILABLE:
    case ErrorCode.STORE_FULL:
      return unavailable();
    case ErrorCode.CONFIRM_IN_PROGRESS:
      return ctx.responses.page(req, res, { view: 'expired', status: 409 });
    case ErrorCode.NO_PENDING_LOGIN: // cancelled ("not me") while BindID was answering: nobody signed in
      return ctx.responses.page(req, res, { view: 'expired', status: 400 });
    case ErrorCode.UNAVAILABLE:
    case ErrorCode.TIMEOUT:
    case ErrorCode.REJECTED:
    case ErrorCode.UNAUTHORIZED:
      emit('onLinkFailed', onLinkFailed, { req, reason: 'feedback_failed', sub, error: err });
      // Fail closed: nobody is logged in. A retryable failure keeps the pending login (password again); a refusal ended it.
      if (err.retryable) return unavailable();
      return ctx.responses.page(req, res, { view: 'expired', status: 502, error: messages.rejected });
    default:
      throw err;
  }
}

/**
 * A second link refused: by the app's link registry, or by BindID with a 409 (another BindID user of this
 * application holds the alias, which the registry did not know, e.g. a link made before it or by another app).
 */
function isLinkConflict(err: BindIdError): boolean {
  return err.code === ErrorCode.ALREADY_LINKED || (err.code === ErrorCode.REJECTED && err.upstreamStatus === 409);
}

/** Run the passport-local strategy without a login session; resolve the user, or `undefined` on failure. */
function authenticate<U>(passport: PassportLike, strategy: string, req: Request, res: Response): Promise<U | undefined> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(strategy, { session: false }, (err: unknown, user: unknown) => {
      if (err) reject(err);
      else resolve(user ? (user as U) : undefined);
    }) as RequestHandler;
    middleware(req, res, (err?: unknown) => reject(err ?? new Error('passport.authenticate called next() without a result')));
  });
}

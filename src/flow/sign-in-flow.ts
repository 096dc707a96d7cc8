/** The one BindID sign-in behind every door (router routes, `BindIdStrategy`): each promise about signing in is written once, here. */
import type { Request } from 'express';
import type {} from 'express-session';
import { aliasClaim, aliasUnusable } from '../feedback/assert-alias.js';
import { emit } from '../internal/events.js';
import { logger, printable } from '../internal/log.js';
import type { CallbackResult } from '../oidc/bindid-oidc-client.js';
import { consumeState, matchState } from '../oidc/consume-state.js';
import type { AuthTransaction, BindIdClaims } from '../session/pending-login.js';
import { keepPendingLogin, pendingLoginOf } from '../session/pending-login.js';
import { assertSameBrowser, bindBrowser, bindsBrowser } from '../session/browser-binding.js';
import { regenerateSession, saveSession } from '../session/regenerate-session.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import type { FlowSettings } from './flow-options.js';
import { recognise } from './recognise.js';
import { selfHeal, settleHeal } from './self-heal.js';
import { finishUnlink, unlinkTransaction } from './unlink.js';

const log = logger('login');

/** How a completed BindID sign-in ends; the door turns it into a response. */
export type SignInOutcome<U> =
  /** A returning user (or one self-healed): the door signs `user` in (one new session id) and goes to `returnTo`. */
  | { readonly kind: 'signed-in'; readonly user: U; readonly alias: string; readonly claims: BindIdClaims; readonly healed: boolean; readonly returnTo: string }
  /** A new BindID user (or a revoked link): the pending login is in a new session; the door shows the confirm page. */
  | { readonly kind: 'pending'; readonly relink: boolean; readonly returnTo: string }
  /** The signed-in user unlinked BindID (same session, same user); the door goes to `returnTo`. */
  | { readonly kind: 'unlinked'; readonly returnTo: string };

/** The BindID sign-in flow of one door (its options read once). */
export class SignInFlow<U> {
  constructor(readonly settings: FlowSettings<U>) {}

  /** Start a sign-in: resolves the BindID URL to redirect to. `returnTo` is untrusted: kept only if same-origin. */
  async start(req: Request, returnTo: unknown): Promise<string> {
    requireServerSession(req); // now, not after the user went through BindID
    requirePassport(req);
    const { settings } = this;
    const path = sanitizeReturnTo(returnTo, settings.baseUrl, settings.defaultReturnTo);
    const params = settings.authorizationParamsFor ? await settings.authorizationParamsFor(req) : undefined;
    const { url, transaction } = await settings.oidc.authorizationRequest(path, settings.link.now(), params);
    return this.#keep(req, transaction, url);
  }

  /** Start unlinking (the door checked CSRF and origin): a fresh BindID sign-in whose callback must carry `user`'s alias. */
  async startUnlink(req: Request, user: U, returnTo: unknown): Promise<string> {
    requireServerSession(req);
    requirePassport(req);
    const { url, transaction } = await unlinkTransaction(this.settings, req, user, returnTo);
    return this.#keep(req, transaction, url);
  }

  /** Complete the sign-in this browser session started, from BindID's redirect back. */
  async complete(req: Request): Promise<SignInOutcome<U>> {
    requireServerSession(req);
    const { transactionCookie, link } = this.settings;
    const transaction = transactionCookie.read(req, link.now());
    const query = queryOf(req);
    matchState(new URLSearchParams(query), transaction);
    assertSameBrowser(req, transaction.browser); // a pending login for another browser: refused, nothing consumed
    // The transaction is single-use, across concurrent requests too: the browser may send its cookie
    // twice, so only the shared store can tell the first use of this state from a second.
    await consumeState(link.store, transaction, link.now());
    transactionCookie.clear(req);
    const result = await this.settings.oidc.callback(query, transaction);
    log('callback: token exchange done, ID token valid (sub %s)', printable(result.claims.sub));
    if (transaction.purpose === 'unlink') return finishUnlink(this.settings, req, result, transaction);
    return this.#signIn(req, result, transaction);
  }

  /** A verified sign-in: the alias decides (one policy for every door). */
  async #signIn(req: Request, result: CallbackResult, transaction: AuthTransaction): Promise<SignInOutcome<U>> {
    const { returnTo } = transaction;
    const claim = aliasClaim(result.claims);
    if (claim.kind === 'unusable') {
      const error = aliasUnusable();
      log('the ID token of sub %s carries an unusable bindid_alias: refused, not fixed', printable(result.claims.sub));
      emit('onLinkFailed', this.settings.onLinkFailed, { req, reason: 'invalid_alias', sub: result.claims.sub, error });
      throw error;
    }
    const { failure } = this.settings.link;
    if (claim.kind === 'alias') {
      if (failure.mode === 'open') await settleHeal(this.settings, result.claims.sub, claim.alias, failure.outbox);
      const user = await recognise(this.settings, req, claim.alias, result.claims);
      if (user === 'confirm-again') return this.#keepPending(req, result, transaction, true);
      return this.#signedIn(req, user, claim.alias, result.claims, returnTo, false);
    }
    const healed = failure.mode === 'open' ? await selfHeal(this.settings, req, result, failure.outbox) : undefined;
    if (healed) return this.#signedIn(req, healed.user, healed.alias, result.claims, returnTo, true);
    return this.#keepPending(req, result, transaction, false);
  }

  #signedIn(req: Request, user: U, alias: string, claims: BindIdClaims, returnTo: string, healed: boolean): SignInOutcome<U> {
    requirePassport(req);
    emit('onRecognized', this.settings.onRecognized, { req, user, alias, claims, healed });
    log('callback: returning user recognised by %s', healed ? 'self-heal' : 'alias');
    return { kind: 'signed-in', user, alias, claims, healed, returnTo };
  }

  /** A new session id (session fixation) holding only the pending login, still bound to this browser, and `returnTo`; saved before the redirect. */
  async #keepPending(req: Request, result: CallbackResult, transaction: AuthTransaction, relink: boolean): Promise<SignInOutcome<U>> {
    const { returnTo, browser } = transaction;
    const pending = pendingLoginOf(
      { accessToken: result.accessToken, expiresIn: result.expiresIn, claims: result.claims },
      { ttlSeconds: this.settings.pendingTtlSeconds, now: this.settings.link.now, ...(relink ? { relink: true } : {}) },
    );
    await regenerateSession(req, { returnTo });
    // Stryker disable next-line ConditionalExpression: equivalent, a pending login with browser undefined is checked as one without
    keepPendingLogin(req, browser === undefined ? pending : { ...pending, browser });
    await saveSession(req);
    // Stryker disable next-line StringLiteral: debug log text, no one relies on it
    log('callback: %s, pending login stored', relink ? 'link revoked' : 'new BindID user');
    return { kind: 'pending', relink, returnTo };
  }

  /**
   * The transaction into its sealed cookie, bound to this browser by a `__Host-` cookie whose SHA-256 it
   * holds (none on plain-http loopback), a binding the pending login carries on to the confirmation.
   */
  #keep(req: Request, transaction: AuthTransaction, url: string): string {
    const browser = bindBrowser(req, bindsBrowser(this.settings.baseUrl));
    // Stryker disable next-line ConditionalExpression: equivalent, a transaction with browser undefined seals as one without (JSON drops it)
    this.settings.transactionCookie.write(req, browser === undefined ? transaction : { ...transaction, browser });
    // Stryker disable next-line all: debug log text, no one relies on it
    log('%s started: to BindID', transaction.purpose === 'unlink' ? 'unlink' : 'sign-in');
    return url;
  }
}

function queryOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

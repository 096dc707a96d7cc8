/** The router's answers: the confirm page and the final redirect (`asyncRoute` makes every one no-store). */
import type { Request, Response } from 'express';
import type {} from 'express-session';
import { csrfToken } from '../session/csrf.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import { type ConfirmPageModel, renderDefaultConfirmPage } from './confirm-page.js';
import { noStore, seeOther } from './route-helpers.js';
import { credentialFields } from './strategy-check.js';
import type { RouterConfig } from './router-options.js';

/** What a route gives {@link RouterResponses.page}; the rest of the model comes from the options. */
export type PageModel = Pick<ConfirmPageModel, 'view' | 'status'> & Partial<ConfirmPageModel>;

export class RouterResponses {
  constructor(
    private readonly config: Pick<RouterConfig<unknown>, 'messages' | 'paths' | 'render' | 'passport' | 'strategy'> & {
      readonly defaultReturnTo: string;
      readonly baseUrl: string;
    },
  ) {}

  /** The confirm page: the app's render hook, else the default. */
  async page(req: Request, res: Response, model: PageModel): Promise<void> {
    const { messages, paths, render } = this.config;
    const full: ConfirmPageModel = {
      ...model,
      messages,
      action: paths.confirm,
      cancelAction: paths.cancel,
      startOverUrl: this.startOver(req),
      // Read at each page: the strategy may be registered after the router (the passport singleton).
      fields: credentialFields(this.config.passport, this.config.strategy),
      ...(model.view === 'confirm' ? { csrfToken: csrfToken(req) } : {}),
    };
    if (full.identity === undefined) delete full.identity;
    res.set('Referrer-Policy', 'no-referrer');
    res.set('X-Frame-Options', 'DENY');
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.status(full.status);
    if (render) {
      await render(full, req, res);
      return;
    }
    res.type('html').send(renderDefaultConfirmPage(full));
  }

  /** Redirect to the return path, forgetting it. */
  finishAt(req: Request, res: Response, returnTo: string): void {
    if (req.session.bindid) delete req.session.bindid.returnTo;
    noStore(res);
    seeOther(res, sanitizeReturnTo(returnTo, this.config.baseUrl, this.config.defaultReturnTo));
  }

  /** "Sign in with BindID" again, keeping the return path of the sign-in that could not be confirmed. */
  private startOver(req: Request): string {
    const { paths, defaultReturnTo } = this.config;
    const returnTo = req.session.bindid?.returnTo;
    return typeof returnTo === 'string' && returnTo !== defaultReturnTo
      ? `${paths.login}?returnTo=${encodeURIComponent(returnTo)}`
      : paths.login;
  }
}

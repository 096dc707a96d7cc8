/**
 * What every route of the router shares.
 *
 * @module
 */
import type { Request } from 'express';
import type { SignInFlow } from '../flow/sign-in-flow.js';
import type { RouterConfig } from './router-options.js';
import type { RouterResponses } from './router-responses.js';

/** The options of one router, its sign-in flow, and its responses. @internal */
export interface RouterContext<U> extends RouterConfig<U> {
  readonly signIn: SignInFlow<U>;
  readonly responses: RouterResponses;
  /** Throws `ERR_BINDID_STRATEGY_MISSING` while the passport instance has no password strategy (`strategy-check.ts`). */
  readonly checkStrategy: (req: Request) => void;
}

/**
 * The password strategy must exist on the router's passport instance, else passport answers a bare 500 after the user typed their
 * password. A given `passport` is checked at start-up; the singleton at the first confirm request (the app may register it later). @module
 */
import type { Request } from 'express';
import { BindIdStateError, ErrorCode } from '../errors.js';

const DEFAULT_FIELDS: { readonly username: string; readonly password: string } = Object.freeze({ username: 'username', password: 'password' });

/** passport's `_strategy(name)` lookup (every passport since 0.1), or `undefined` for an object with only `authenticate`. */
function lookup(passport: unknown): ((name: string) => unknown) | undefined {
  const find = (passport as { _strategy?: unknown } | null | undefined)?._strategy;
  return typeof find === 'function' ? (name) => find.call(passport, name) : undefined;
}

/** Whether `passport` has a strategy called `name`: `undefined` when it cannot tell. */
export function hasStrategy(passport: unknown, name: string): boolean | undefined {
  const find = lookup(passport);
  return find && find(name) !== undefined;
}

/** The body fields the confirm page must post: `fields` of the `createLocalStrategy` called `name`, or `username`/`password`. */
export function credentialFields(passport: unknown, name: string): typeof DEFAULT_FIELDS {
  const strategy = lookup(passport)?.(name) as { fields?: unknown } | undefined;
  const { username, password } = (strategy?.fields ?? {}) as Partial<Record<string, unknown>>;
  return typeof username === 'string' && typeof password === 'string' ? { username, password } : DEFAULT_FIELDS;
}

/** For the singleton, at each confirm request: `ERR_BINDID_STRATEGY_MISSING` (500) until the strategy is found, then nothing. */
export function singletonStrategyCheck(passport: unknown, strategy: string): (req: Request) => void {
  let found = false;
  return (req) => {
    if (found || hasStrategy(passport, strategy) !== false) {
      found = true;
      return;
    }
    // The instance `passport.initialize()` put on the request (passport's default compat mode).
    const own = (req as { _passport?: { instance?: unknown } })._passport?.instance;
    const where =
      own !== undefined && own !== passport
        ? `the app uses its own passport instance (passport.initialize() of a new Passport()), but bindIdRouter was given no \`passport\` option, so it uses the passport module's singleton, which has no strategy "${strategy}"`
        : `passport has no strategy "${strategy}"`;
    const advice = `pass \`passport: yourInstance\` to bindIdRouter (the instance you configured), or register createLocalStrategy on it: passport.use(createLocalStrategy({ verify })) (named "${strategy}")`;
    throw new BindIdStateError(ErrorCode.STRATEGY_MISSING, `bindIdRouter: ${where}: ${advice}.`, { status: 500 });
  };
}

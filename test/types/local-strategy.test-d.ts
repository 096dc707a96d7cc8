/**
 * Type tests of `createLocalStrategy` (checked by `tsc -p tsconfig.json`, never run): the promise,
 * plain-value and callback forms of `verify`, with and without `passReqToCallback`, and the
 * options it refuses.
 */
import type { Request } from 'express';
import { expectTypeOf } from 'expect-type';
import passport from 'passport';
import type { Strategy as PassportLocalStrategy } from 'passport-local';
import { createLocalStrategy, type LocalStrategyOptions } from '../../src/index.js';
import type { BindIdLocalStrategy, VerifyDone } from '../../src/passport/local-strategy.js';

interface AppUser {
  id: string;
}
declare const user: AppUser;
declare function check(username: string, password: string): Promise<AppUser | false>;
declare function checkSync(username: string, password: string): AppUser | null;
declare function checkCallback(username: string, password: string, cb: (err: Error | null, user?: AppUser) => void): void;

// The result is a passport-local Strategy that passport.use() takes.
const strategy = createLocalStrategy({ verify: check });
expectTypeOf(strategy).toEqualTypeOf<BindIdLocalStrategy>();
expectTypeOf(strategy).toExtend<PassportLocalStrategy>();
expectTypeOf(strategy.name).toBeString();
expectTypeOf(strategy.message).toBeString();
passport.use(strategy);

// Promise form, plain-value form: (username, password) => user | false | null | undefined (or a promise).
createLocalStrategy<AppUser>({ verify: check });
createLocalStrategy<AppUser>({ verify: checkSync });
createLocalStrategy<AppUser>({
  verify: async (username, password) => {
    expectTypeOf(username).toEqualTypeOf<string>();
    expectTypeOf(password).toEqualTypeOf<string>();
    return username === 'alice' ? user : false;
  },
});
createLocalStrategy<AppUser>({ verify: () => undefined });

// Callback form: (username, password, done), passport-local style.
createLocalStrategy<AppUser>({
  verify: (username, password, done) => {
    expectTypeOf(done).toEqualTypeOf<VerifyDone<AppUser>>();
    checkCallback(username, password, (err, found) => (err ? done(err) : done(null, found ?? false)));
  },
});
createLocalStrategy<AppUser>({ verify: (_u, _p, done) => done(null, false, { message: 'no' }) });

// passReqToCallback: true puts the request first, in both forms.
createLocalStrategy<AppUser>({
  passReqToCallback: true,
  verify: async (req, username, password) => {
    expectTypeOf(req).toEqualTypeOf<Request>();
    return req.ip === '127.0.0.1' ? check(username, password) : false;
  },
});
createLocalStrategy<AppUser>({
  passReqToCallback: true,
  verify: (req, username, _password, done) => {
    expectTypeOf(req).toEqualTypeOf<Request>();
    expectTypeOf(username).toEqualTypeOf<string>();
    done(null, user);
  },
});
expectTypeOf<Extract<LocalStrategyOptions<AppUser>, { passReqToCallback: true }>['passReqToCallback']>().toEqualTypeOf<true>();
expectTypeOf<LocalStrategyOptions<AppUser>['passReqToCallback']>().toEqualTypeOf<boolean | undefined>();

// Every other option, as documented.
createLocalStrategy<AppUser>({
  verify: check,
  passReqToCallback: false,
  name: 'confirm-password',
  usernameField: 'email',
  passwordField: 'pass',
  maxUsernameLength: 320,
  maxPasswordLength: 256,
  message: 'Wrong email or password.',
});

// @ts-expect-error verify is required
createLocalStrategy({ name: 'x' });
// @ts-expect-error unknown key (passport-local's option, not this one's)
createLocalStrategy({ verify: check, session: false });
// @ts-expect-error unknown key (typo)
createLocalStrategy({ verify: check, usernameFeild: 'email' });
// @ts-expect-error with passReqToCallback the first parameter is the request, not the username
createLocalStrategy({ passReqToCallback: true, verify: (username: string, password: string) => check(username, password) });
// @ts-expect-error without passReqToCallback the first parameter is the username
createLocalStrategy({ verify: (req: Request, username: string, password: string) => (req.ip ? check(username, password) : false) });
// @ts-expect-error verify must resolve to the user type (or false/null/undefined)
createLocalStrategy<AppUser>({ verify: async () => 'alice' });
// @ts-expect-error done takes the user type
createLocalStrategy<AppUser>({ verify: (_u, _p, done) => done(null, { name: 'alice' }) });
// @ts-expect-error maxPasswordLength is a number
createLocalStrategy({ verify: check, maxPasswordLength: '1024' });

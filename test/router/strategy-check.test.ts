/**
 * The password strategy must be on the passport instance the router authenticates with. Without it
 * passport answered a bare 500 "Unknown authentication strategy" at the confirm POST, after the user
 * had typed their password; now the router says what to do: at start-up when it was given
 * `passport`, at the first confirm request when it uses the singleton.
 */
import passportSingleton, { Passport } from 'passport';
import { type BindIdRouterOptions, bindIdRouter, createLocalStrategy, ErrorCode, isBindIdError } from '../../src/index.js';
import { bindIdSignIn, confirmPage, createFlow, type Flow, submitConfirm, type TestUser, USERS, VALID_ROUTER_OPTIONS } from '../helpers/flow.js';

const checkAlice = (username: string, password: string): TestUser | false =>
  username === 'alice' && password === USERS[0]?.password ? { id: 1, username: 'alice' } : false;

function build(overrides: Partial<BindIdRouterOptions<TestUser>>): unknown {
  try {
    bindIdRouter<TestUser>({ ...VALID_ROUTER_OPTIONS, ...overrides });
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('the `passport` option is checked for the strategy at start-up', () => {
  it('N149 an instance without the strategy is refused: ERR_BINDID_INVALID_OPTION naming `passport` and what to do', () => {
    const err = build({ passport: new Passport() });
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    expect((err as Error).message).toMatch(/`passport` has no strategy "bindid-local": register createLocalStrategy on this instance before bindIdRouter\(\)/);
    expect((err as Error).message).toContain('passport.use(createLocalStrategy({ verify }))');
  });

  it('an instance with the strategy under another name than `strategy` is refused too', () => {
    const instance = new Passport();
    instance.use(createLocalStrategy({ verify: checkAlice }));
    expect(build({ passport: instance })).toBeUndefined();
    const err = build({ passport: instance, strategy: 'company-password' });
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    expect((err as Error).message).toMatch(/`passport` has no strategy "company-password"/);
  });
});

describe('no `passport` option: the singleton is checked at the first confirm request', () => {
  let flow: Flow;
  const errors: unknown[] = [];
  const verifyCalls: string[] = [];
  beforeEach(async () => {
    // The app configures its own `new Passport()` (with the strategy) but does not give it to the router.
    flow = await createFlow({ router: { passport: undefined }, errors, verifyCalls });
  });
  afterEach(() => flow.close());

  it('N149 the app uses its own new Passport(): the confirm page and POST answer ERR_BINDID_STRATEGY_MISSING (500) saying what to do; no password checked, nothing reported; registered on the singleton, it confirms', async () => {
    const agent = flow.agent();
    const callback = await bindIdSignIn(agent, 'new');
    expect(callback.headers.location).toBe('/bindid/confirm');

    const page = await agent.get('/bindid/confirm');
    expect(page.status).toBe(500);
    expect(page.body.code).toBe(ErrorCode.STRATEGY_MISSING);
    expect(page.body.message).toContain('the app uses its own passport instance');
    expect(page.body.message).toContain('pass `passport: yourInstance` to bindIdRouter');
    expect(page.body.message).toContain('register createLocalStrategy on it');

    const post = await submitConfirm(agent, { username: 'alice', password: USERS[0]?.password ?? '' });
    expect(post.status).toBe(500);
    expect(post.body.code).toBe(ErrorCode.STRATEGY_MISSING);
    expect(errors).toHaveLength(2); // one next(err) per request
    expect(verifyCalls).toEqual([]);
    expect(flow.emulator.reports()).toHaveLength(0);

    // Not cached as a failure: once the singleton has the strategy (and serializers, as an app that
    // uses the singleton has), the same router and pending login confirm with it.
    passportSingleton.use(createLocalStrategy({ verify: checkAlice }));
    passportSingleton.serializeUser((user, done) => done(null, (user as TestUser).id));
    try {
      const { res, csrf } = await confirmPage(agent);
      expect(res.status).toBe(200);
      const done = await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: USERS[0]?.password ?? '' });
      expect(done.status).toBe(303);
      expect(errors).toHaveLength(2);
      expect(flow.emulator.reports()).toHaveLength(1);
    } finally {
      passportSingleton.unuse('bindid-local');
    }
  });
});

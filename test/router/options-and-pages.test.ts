import { generateKeyPair, SignJWT } from 'jose';
import { type BindIdRouterOptions, bindIdRouter, ErrorCode, isBindIdError } from '../../src/index.js';
import {
  APP_ORIGIN,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  startLogin,
  submitConfirm,
  type TestUser,
  useSharedEmulator,
  VALID_ROUTER_OPTIONS,
} from '../helpers/flow.js';

const valid = VALID_ROUTER_OPTIONS;

function optionError(overrides: Record<string, unknown>): Error & { option?: string } {
  try {
    bindIdRouter({ ...valid, ...overrides } as BindIdRouterOptions<TestUser>);
  } catch (err) {
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    return err as Error & { option?: string };
  }
  throw new Error('expected bindIdRouter to throw');
}

describe('bindIdRouter options are validated when the router is built', () => {
  it.each([
    ['issuer', { issuer: undefined }, /issuer.*required/],
    ['issuer over plain http to a remote host', { issuer: 'http://signin.example' }, /issuer.*https/],
    ['clientId', { clientId: '' }, /clientId.*required/],
    ['clientSecret', { clientSecret: undefined }, /clientSecret.*required/],
    ['clientSecret with a trailing newline', { clientSecret: 'secret\n' }, /clientSecret.*whitespace/],
    ['apiUrl', { apiUrl: undefined }, /apiUrl.*required/],
    ['baseUrl', { baseUrl: 'not a url' }, /baseUrl.*absolute URL/],
    ['findUserByAlias', { findUserByAlias: undefined }, /findUserByAlias.*required/],
    ['scope without openid', { scope: 'email' }, /scope.*openid/],
    ['defaultReturnTo off-site', { defaultReturnTo: 'https://evil.example/' }, /defaultReturnTo/],
    ['paths with a bad path', { paths: { confirm: 'confirm' } }, /paths\.confirm/],
    ['unknown path key', { paths: { confrim: '/x' } }, /Did you mean `paths\.confirm`/],
    ['unknown message key', { messages: { titel: 'x' } }, /Did you mean `messages\.title`/],
    ['maxAttempts 0', { maxAttempts: 0 }, /maxAttempts/],
    ['pendingTtlSeconds beyond the token', { pendingTtlSeconds: 7200 }, /pendingTtlSeconds/],
    ['a typo', { findUserByAlais: () => null }, /Did you mean `findUserByAlias`/],
    ['passport not an instance', { passport: {} }, /passport/],
  ])('%s', (_name, overrides, message) => {
    expect(optionError(overrides).message).toMatch(message);
  });

  it('a valid configuration builds a router without any network call', () => {
    expect(typeof bindIdRouter(valid)).toBe('function');
  });
});

describe('confirm page customisation and limits', () => {
  const emulator = useSharedEmulator({ redirectUris: [`${APP_ORIGIN}/auth/bindid/cb`] });
  let flow: Flow;
  afterEach(() => flow.close());

  it('messages override the default strings', async () => {
    flow = await createFlow({ sharedEmulator: emulator(), router: { messages: { title: 'Bestätigen Sie Ihr Konto', lang: 'de' } } });
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { res } = await confirmPage(agent);
    expect(res.text).toContain('<html lang="de">');
    expect(res.text).toContain('Bestätigen Sie Ihr Konto');
  });

  it('the render hook receives the model and writes the page; status and headers are set for it', async () => {
    const seen: string[] = [];
    flow = await createFlow({
      sharedEmulator: emulator(),
      router: {
        render: (model, _req, res) => {
          seen.push(`${model.view}:${model.status}:${model.identity ?? ''}`);
          res.send(`<custom csrf="${model.csrfToken ?? ''}">${model.error ?? ''}</custom>`);
        },
      },
    });
    const agent = flow.agent();
    await bindIdSignIn(agent, 'alice');
    const page = await agent.get('/bindid/confirm');
    expect(page.text).toMatch(/^<custom csrf="[A-Za-z0-9_-]{43}"><\/custom>$/);
    expect(page.headers['cache-control']).toBe('no-store');
    const csrf = /csrf="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const wrong = await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'x' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Invalid username or password.');
    expect(seen).toEqual(['confirm:200:alice@example.com', 'confirm:401:alice@example.com']);
  });

  it('maxAttempts failed passwords destroy the pending login; the right password then cannot link', async () => {
    flow = await createFlow({ sharedEmulator: emulator(), router: { maxAttempts: 2 } });
    const agent = flow.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    expect((await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'x' })).status).toBe(401);
    const locked = await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'y' });
    expect(locked.status).toBe(400);
    expect(locked.text).toContain('This sign-in can no longer be confirmed');
    expect((await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'alice-password' })).status).toBe(400);
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('an ID token not signed by BindID is refused (signature checked against the JWKS)', async () => {
    flow = await createFlow({ sharedEmulator: emulator() });
    const agent = flow.agent();
    const authorize = new URL(await startLogin(agent));
    const callback = await authorizeAt(authorize.href, 'new');
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ nonce: authorize.searchParams.get('nonce') ?? '', bindid_alias: '1' })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuer(flow.emulator.issuer)
      .setAudience(flow.emulator.clientId)
      .setSubject('00000000-0000-4000-8000-000000000000')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(privateKey);
    flow.emulator.setFault('token', {
      status: 200,
      times: 1,
      body: JSON.stringify({ access_token: 'A'.repeat(43), token_type: 'Bearer', expires_in: 3600, id_token: forged }),
    });
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_BINDID_CALLBACK_INVALID');
    expect((await agent.get('/whoami')).body.user).toBeNull();
  });

  it('paths can be moved', async () => {
    flow = await createFlow({
      router: { paths: { login: '/auth/bindid', callback: '/auth/bindid/cb', confirm: '/auth/confirm', cancel: '/auth/cancel' } },
      sharedEmulator: emulator(),
    });
    const agent = flow.agent();
    const start = await agent.get('/auth/bindid');
    expect(start.status).toBe(303);
    expect(new URL(start.headers.location as string).searchParams.get('redirect_uri')).toBe(`${APP_ORIGIN}/auth/bindid/cb`);
    const cb = await agent.get(appPath(await authorizeAt(start.headers.location as string, 'new')));
    expect(cb.headers.location).toBe('/auth/confirm');
    const page = await agent.get('/auth/confirm');
    expect(page.text).toContain('action="/auth/confirm"');
    expect(page.text).toContain('action="/auth/cancel"');
  });
});

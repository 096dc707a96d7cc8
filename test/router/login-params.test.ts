/**
 * The router's sign-in options of issue 14 (§1, §2), seen from the wire: allow-listed authorization
 * parameters (static, checked at the factory; per login, checked at each login with a coded 400),
 * `pkce: false`, static metadata instead of discovery, and a wrong issuer at discovery answered as a
 * configuration error rather than "BindID unavailable".
 */
import { BINDID_HOSTS, bindIdRouter, ErrorCode } from '../../src/index.js';
import { appPath, authorizeAt, startLogin, useFlowPerTest, VALID_ROUTER_OPTIONS, whoami } from '../helpers/flow.js';
import { recordOutbound } from '../helpers/outbound.js';

const flows = useFlowPerTest({ shareEmulator: true });

describe('authorizationParams', () => {
  it('are sent with every authorization request, next to the library own parameters', async () => {
    const f = await flows.start({
      router: {
        authorizationParams: {
          acr_values: 'ts.bindid.iac.email ts.bindid.iac.phone_number',
          prompt: 'login',
          bindid_custom_message: 'Sign in to Example — BindID',
          bindid_aux_link: 'https://app.example.com/help',
          bindid_aux_link_title: 'Help',
          scope: 'openid email phone',
        },
      },
    });
    const q = new URL(await startLogin(f.agent())).searchParams;
    expect(q.get('acr_values')).toBe('ts.bindid.iac.email ts.bindid.iac.phone_number');
    expect(q.get('prompt')).toBe('login');
    expect(q.get('bindid_custom_message')).toBe('Sign in to Example — BindID');
    expect(q.get('bindid_aux_link')).toBe('https://app.example.com/help');
    expect(q.get('bindid_aux_link_title')).toBe('Help');
    expect(q.get('scope')).toBe('openid email phone');
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
  });

  it('authorizationParamsFor(req) adds and overrides parameters for one login', async () => {
    const f = await flows.start({
      router: {
        authorizationParams: { acr_values: 'ts.bindid.iac.email', prompt: 'login' },
        authorizationParamsFor: async (req) => {
          const email = req.query.email;
          return typeof email === 'string' ? { login_hint: `email:${email}`, acr_values: 'ts.bindid.iac.phone_number' } : undefined;
        },
      },
    });
    const agent = f.agent();
    const res = await agent.get('/login/bindid?email=alice%40example.com');
    expect(res.status).toBe(303);
    const q = new URL(res.headers.location as string).searchParams;
    expect(q.get('login_hint')).toBe('email:alice@example.com');
    expect(q.get('acr_values')).toBe('ts.bindid.iac.phone_number');
    expect(q.get('prompt')).toBe('login');
    const plain = new URL(await startLogin(agent)).searchParams;
    expect(plain.get('login_hint')).toBeNull();
    expect(plain.get('acr_values')).toBe('ts.bindid.iac.email');
  });

  it.each([
    ['a reserved parameter', { state: 'attacker-state' }, /sign-in parameter state is set by express-bindid itself/],
    ['redirect_uri', { redirect_uri: 'https://evil.example/cb' }, /sign-in parameter redirect_uri is set by express-bindid itself/],
    ['an unknown parameter', { foo: 'bar' }, /sign-in parameter foo is not allowed \(allowed: acr_values, /],
    ['a control character', { login_hint: 'a\r\nb' }, /sign-in parameter login_hint must not contain control characters/],
    ['a scope without openid', { scope: 'email' }, /sign-in parameter scope must include openid/],
    ['a too long login_hint', { login_hint: 'x'.repeat(257) }, /login_hint must be at most 256 characters/],
    ['not an object', 'login_hint=x', /sign-in parameters must be an object \(got string\)/],
  ])('N161 a per-login %s is a 400 ERR_BINDID_INVALID_AUTHORIZATION_PARAMS: no redirect, no sign-in started', async (_, value, message) => {
    const f = await flows.start({ router: { authorizationParamsFor: () => value as never } });
    const agent = f.agent();
    const res = await agent.get('/login/bindid');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.INVALID_AUTHORIZATION_PARAMS);
    expect(res.body.message).toMatch(message);
    expect(res.body.message).not.toContain('attacker-state');
    expect(res.headers.location).toBeUndefined();
    expect((await whoami(agent)).session.bindid ?? {}).not.toHaveProperty('auth');
  });

  it.each([
    [{ state: 'x' }, /option `authorizationParams.state` is set by express-bindid itself and cannot be overridden/],
    [{ nonce: 'x' }, /option `authorizationParams.nonce` is set by express-bindid itself/],
    [{ code_challenge: 'x' }, /option `authorizationParams.code_challenge` is set by express-bindid itself/],
    [{ client_id: 'x' }, /option `authorizationParams.client_id` is set by express-bindid itself/],
    [{ response_type: 'token' }, /option `authorizationParams.response_type` is set by express-bindid itself/],
    [{ acr_value: 'ts.bindid.iac.email' }, /option `authorizationParams.acr_value` is not a known option\. Did you mean `authorizationParams.acr_values`\?/],
    [{ scope: 'email' }, /option `authorizationParams.scope` must include openid/],
    [{ prompt: 'none login' }, /option `authorizationParams.prompt` cannot combine none with another value/],
    [{ display: 'fullscreen' }, /option `authorizationParams.display` must be one of page, popup, touch, wap/],
    [{ bindid_aux_link: 'http://help.example.com' }, /option `authorizationParams.bindid_aux_link` must be an absolute https: URL/],
    [{ acr_values: 'ts.bindid.iac.email  x' }, /option `authorizationParams.acr_values` must be values separated by single spaces/],
    [{ login_hint: '' }, /option `authorizationParams.login_hint` must be a non-empty string \(got an empty string\)/],
  ])('N160 the factory refuses %j', (authorizationParams, message) => {
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, authorizationParams } as never)).toThrow(message);
  });

  it('the factory refuses scope given twice, and a per-login value that is not a function', () => {
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, scope: 'openid', authorizationParams: { scope: 'openid email' } })).toThrow(
      /option `authorizationParams.scope` cannot be combined with the scope option/,
    );
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, authorizationParamsFor: { login_hint: 'x' } as never })).toThrow(
      /option `authorizationParamsFor` must be a function \(got object\)/,
    );
  });
});

describe('pkce: false', () => {
  it('sends no code_challenge to /authorize and no code_verifier to /token, and the sign-in completes', async () => {
    const f = await flows.start({ router: { pkce: false } });
    const agent = f.agent();
    const outbound = recordOutbound();
    try {
      const authorize = new URL(await startLogin(agent));
      expect(authorize.searchParams.has('code_challenge')).toBe(false);
      expect(authorize.searchParams.has('code_challenge_method')).toBe(false);
      const callback = await agent.get(appPath(await authorizeAt(authorize.href, 'new')));
      expect(callback.headers.location).toBe('/bindid/confirm');
      const token = outbound.requests.find((r) => r.origin === f.emulator.issuer && r.path === '/token');
      const form = new URLSearchParams(token?.body ?? '');
      expect(form.get('grant_type')).toBe('authorization_code');
      expect(form.has('code_verifier')).toBe(false);
      expect(form.get('client_secret')).toBe(f.emulator.clientSecret);
    } finally {
      outbound.stop();
    }
  });

  it('refuses a non-boolean', () => {
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, pkce: 'no' as never })).toThrow(/option `pkce` must be true or false \(got string\)/);
  });
});

describe('metadata (static, instead of discovery)', () => {
  it('a sign-in makes no discovery request', async () => {
    const f = await flows.start({
      router: (emulator) => ({
        metadata: {
          issuer: emulator.issuer,
          authorization_endpoint: `${emulator.issuer}/authorize`,
          token_endpoint: `${emulator.issuer}/token`,
          jwks_uri: `${emulator.issuer}/jwks`,
        },
      }),
    });
    const agent = f.agent();
    const outbound = recordOutbound();
    try {
      const callback = await agent.get(appPath(await authorizeAt(await startLogin(agent), 'new')));
      expect(callback.headers.location).toBe('/bindid/confirm');
      const paths = outbound.requests.filter((r) => r.origin === f.emulator.issuer).map((r) => r.path.split('?')[0]);
      expect(paths).not.toContain('/.well-known/openid-configuration');
      expect(paths).toContain('/token');
    } finally {
      outbound.stop();
    }
  });

  const endpoints = {
    issuer: 'https://signin.bindid-sandbox.io',
    authorization_endpoint: 'https://signin.bindid-sandbox.io/authorize',
    token_endpoint: 'https://signin.bindid-sandbox.io/token',
    jwks_uri: 'https://signin.bindid-sandbox.io/jwks',
  };

  it.each([
    [{ ...endpoints, jwks_uri: undefined }, /option `metadata` needs all four of issuer, authorization_endpoint, token_endpoint, jwks_uri \(missing: jwks_uri\)/],
    [{ ...endpoints, token_endpoint: 'http://signin.bindid-sandbox.io/token' }, /option `metadata.token_endpoint` must use https:/],
    [{ ...endpoints, authorization_endpoint: '/authorize' }, /option `metadata.authorization_endpoint` must be an absolute https: URL/],
    [{ ...endpoints, issuer: 'https://signin.bindid.io' }, /option `metadata.issuer` must be the issuer option \(https:\/\/signin\.bindid-sandbox\.io\)/],
    [{ ...endpoints, userinfo_endpoint: 'https://x' }, /option `metadata.userinfo_endpoint` is not a known option/],
  ])('N163 the factory refuses incomplete or unsafe metadata (%#)', (metadata, message) => {
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, metadata } as never)).toThrow(message);
  });

  it('accepts the issuer with a trailing slash in metadata (the exact iss of the ID tokens)', () => {
    expect(() => bindIdRouter({ ...VALID_ROUTER_OPTIONS, metadata: { ...endpoints, issuer: `${endpoints.issuer}/` } })).not.toThrow();
  });
});

describe('hosts and issuer', () => {
  it('a discovery naming another issuer answers the login with ERR_BINDID_CONFIGURATION (500), not the retryable 503', async () => {
    const f = await flows.start();
    const doc = (await (await fetch(`${f.emulator.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    f.emulator.setFault('discovery', { status: 200, body: JSON.stringify({ ...doc, issuer: BINDID_HOSTS.production.issuer }) });
    const res = await f.agent().get('/login/bindid');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe(ErrorCode.CONFIGURATION);
    expect(res.body.message).toMatch(/names another issuer \(https:\/\/signin\.identity\.security\/\)\. Set issuer to BindID's sign-in host exactly/);
  });

  it('a trailing slash in the issuer option is removed (BindID names its issuer without one): the sign-in works', async () => {
    const f = await flows.start({ router: (emulator) => ({ issuer: `${emulator.issuer}/` }) });
    const agent = f.agent();
    const authorize = await startLogin(agent);
    expect(authorize.startsWith(`${f.emulator.issuer}/authorize?`)).toBe(true);
    const callback = await agent.get(appPath(await authorizeAt(authorize, 'new')));
    expect(callback.headers.location).toBe('/bindid/confirm');
  });

  it.each(Object.entries(BINDID_HOSTS))('the preset %s builds a router (issuer and apiUrl spread into the options)', (_, hosts) => {
    const { issuer: _i, apiUrl: _a, ...rest } = VALID_ROUTER_OPTIONS;
    expect(typeof bindIdRouter({ ...rest, ...hosts })).toBe('function');
  });

  it('the presets cannot be changed by an app', () => {
    expect(Object.isFrozen(BINDID_HOSTS)).toBe(true);
    for (const hosts of Object.values(BINDID_HOSTS)) expect(Object.isFrozen(hosts)).toBe(true);
  });
});

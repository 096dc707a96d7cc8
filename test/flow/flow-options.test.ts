/**
 * The flow's options, read once for both doors that take `issuer` and `apiUrl` (`bindIdRouter`,
 * `BindIdStrategy`): hosts of two BindID environments are refused at start-up, naming both options
 * and the fix; one known host beside a custom one is a process warning.
 */
import { BINDID_HOSTS, type BindIdRouterOptions, BindIdStrategy, type BindIdStrategyOptions, bindIdRouter, ErrorCode, isBindIdError, SessionFeedbackClient } from '../../src/index.js';
import { environmentMix, PARTLY_KNOWN_HOSTS_WARNING } from '../../src/oidc/bindid-hosts.js';
import { type TestUser, VALID_ROUTER_OPTIONS } from '../helpers/flow.js';

const STRATEGY_OPTIONS: BindIdStrategyOptions<TestUser> = {
  issuer: 'https://signin.bindid-sandbox.io',
  apiUrl: 'https://api.bindid-sandbox.io',
  clientId: 'client',
  clientSecret: 'secret',
  baseUrl: 'https://app.example.com',
  findUserByAlias: () => null,
};

const FACTORIES: [string, (hosts: { issuer: string; apiUrl: string }) => unknown][] = [
  ['bindIdRouter', (hosts) => bindIdRouter({ ...VALID_ROUTER_OPTIONS, ...hosts } as BindIdRouterOptions<TestUser>)],
  ['BindIdStrategy', (hosts) => new BindIdStrategy<TestUser>({ ...STRATEGY_OPTIONS, ...hosts })],
];

function thrown(build: () => unknown): Error {
  try {
    build();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the factory to throw');
}

/** The process warnings emitted while `build` runs (synchronously). */
function warningsOf(build: () => unknown): Error[] {
  const original = process.emitWarning;
  const emitted: Error[] = [];
  process.emitWarning = ((message: string, options?: { code?: string }) => {
    emitted.push(Object.assign(new Error(message), { code: options?.code }));
  }) as typeof process.emitWarning;
  try {
    build();
  } finally {
    process.emitWarning = original;
  }
  return emitted;
}

describe.each(FACTORIES)('%s: issuer and apiUrl of one BindID environment', (_name, build) => {
  it.each([
    ['production sign-in with the sandbox API', BINDID_HOSTS.production.issuer, BINDID_HOSTS.sandbox.apiUrl, 'production', 'sandbox'],
    ['EU sign-in with the US production API', BINDID_HOSTS.productionEu.issuer, BINDID_HOSTS.production.apiUrl, 'productionEu', 'production'],
    ['the older production sign-in host with the EU API', 'https://signin.bindid.io', BINDID_HOSTS.productionEu.apiUrl, 'production', 'productionEu'],
    ['sandbox sign-in with the production API', BINDID_HOSTS.sandbox.issuer, BINDID_HOSTS.production.apiUrl, 'sandbox', 'production'],
  ])('refuses %s at start-up, naming both options and the fix', (_case, issuer, apiUrl, ofIssuer, ofApi) => {
    const err = thrown(() => build({ issuer, apiUrl }));
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    expect(err.message).toContain('`issuer`');
    expect(err.message).toContain('`apiUrl`');
    expect(err.message).toContain(`${ofIssuer} sign-in host`);
    expect(err.message).toContain(`${ofApi} API host`);
    expect(err.message).toContain(`BINDID_HOSTS.${ofIssuer}`);
    expect(err.message).not.toContain('secret');
  });

  it.each(Object.entries(BINDID_HOSTS))('takes the %s preset without a warning', (_env, hosts) => {
    expect(warningsOf(() => build(hosts))).toEqual([]);
  });

  it('takes the older production sign-in host with the production API without a warning', () => {
    expect(warningsOf(() => build({ issuer: 'https://signin.bindid.io', apiUrl: BINDID_HOSTS.production.apiUrl }))).toEqual([]);
  });

  it('warns (code EXPRESS_BINDID_PARTLY_KNOWN_HOSTS) when one host is BindID\'s and the other a custom one, and builds', () => {
    const warnings = [
      ...warningsOf(() => build({ issuer: BINDID_HOSTS.production.issuer, apiUrl: 'https://bindid-api.proxy.example' })),
      ...warningsOf(() => build({ issuer: 'https://signin.proxy.example', apiUrl: BINDID_HOSTS.sandbox.apiUrl })),
    ];
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual([PARTLY_KNOWN_HOSTS_WARNING, PARTLY_KNOWN_HOSTS_WARNING]);
    expect(warnings[0]?.message).toMatch(/issuer is BindID's production host but apiUrl \(https:\/\/bindid-api\.proxy\.example\)/);
    expect(warnings[0]?.message).toContain('https://api.bindid.io');
    expect(warnings[1]?.message).toMatch(/apiUrl is BindID's sandbox host but issuer \(https:\/\/signin\.proxy\.example\)/);
  });

  it('says nothing when neither host is BindID\'s (the emulator, a proxy)', () => {
    expect(warningsOf(() => build({ issuer: 'http://127.0.0.1:9', apiUrl: 'http://127.0.0.1:10' }))).toEqual([]);
  });
});

it('the router checks the apiUrl of a given client against issuer too', () => {
  const client = new SessionFeedbackClient({ clientSecret: 'secret', apiUrl: BINDID_HOSTS.sandbox.apiUrl });
  const { apiUrl: _a, ...rest } = VALID_ROUTER_OPTIONS;
  const err = thrown(() => bindIdRouter({ ...rest, issuer: BINDID_HOSTS.production.issuer, client } as BindIdRouterOptions<TestUser>));
  expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
  expect(err.message).toMatch(/production sign-in host.*sandbox API host/);
});

describe('environmentMix', () => {
  it('names the environments of mixed hosts, the known side of partly known ones, nothing otherwise', () => {
    expect(environmentMix('https://signin.identity.security', 'https://api.bindid-sandbox.io')).toEqual({ kind: 'mixed', issuer: 'production', apiUrl: 'sandbox' });
    expect(environmentMix('https://signin.identity.security/', 'https://api.bindid.io')).toBeUndefined();
    expect(environmentMix('https://example.com', 'https://api.eu.bindid.io')).toEqual({ kind: 'partly-known', known: 'apiUrl', environment: 'productionEu' });
    expect(environmentMix('https://api.bindid.io', 'https://signin.identity.security')).toBeUndefined();
    expect(environmentMix('not a url', 'https://example.com')).toBeUndefined();
  });
});

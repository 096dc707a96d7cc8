/**
 * Options of `SessionFeedbackClient`: checked once, in the constructor; every error is
 * `ERR_BINDID_INVALID_OPTION` naming the option (`err.option` and the message); typos get a hint.
 */
import { ErrorCode, SessionFeedbackClient, type SessionFeedbackClientOptions } from '../../src/index.js';
import { BindIdArgumentError } from '../../src/errors.js';
import { FakeBindId } from '../helpers/fake-bindid.js';
import { closeClients, expectedAuthorization, makeClient, newToken, rejection, SECRET } from '../helpers/feedback.js';

const base: SessionFeedbackClientOptions = { clientSecret: SECRET, apiUrl: 'https://api.bindid-sandbox.io' };

/** Construct with `options`, expecting an option error; return it. */
function optionError(options: unknown): BindIdArgumentError {
  let thrown: unknown;
  try {
    new SessionFeedbackClient(options as SessionFeedbackClientOptions).close();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof BindIdArgumentError)) {
    // Name the keys only: the options hold the test secret, which must not reach the test output either.
    const keys = options && typeof options === 'object' ? Object.keys(options).join(', ') : typeof options;
    throw new Error(`expected an option error for options with keys [${keys}], got ${thrown === undefined ? 'none' : 'another error'}`);
  }
  expect(thrown.code).toBe(ErrorCode.INVALID_OPTION);
  return thrown;
}

/** `options` with `key` set to `value` (or removed for `undefined` in `without`). */
function withOption(key: string, value: unknown): Record<string, unknown> {
  return { ...base, [key]: value };
}

afterEach(() => closeClients());

describe('defaults', () => {
  it('timeoutMs 5000, retries 2, backoff 100–2000 ms, maxResponseBytes 64 KiB, no trailing slash', () => {
    const client = new SessionFeedbackClient({ ...base, apiUrl: 'https://api.bindid-sandbox.io/' });
    expect(client).toMatchObject({
      apiUrl: 'https://api.bindid-sandbox.io',
      timeoutMs: 5000,
      retries: 2,
      backoff: { baseMs: 100, maxMs: 2000 },
      maxResponseBytes: 65_536,
    });
    client.close();
  });
});

describe('every invalid option is refused at construction, naming the option', () => {
  const cases: Array<[string, string, unknown]> = [
    ['clientSecret', 'missing', undefined],
    ['clientSecret', 'empty', ''],
    ['clientSecret', 'a number', 42],
    ['clientSecret', 'an object', { value: 's' }],
    ['clientSecret', 'a trailing newline', `${SECRET}\n`],
    ['clientSecret', 'a trailing space', `${SECRET} `],
    ['clientSecret', 'a leading tab', `\t${SECRET}`],
    ['apiUrl', 'missing', undefined],
    ['apiUrl', 'not a URL', 'api.bindid.io'],
    ['apiUrl', 'plain http to a remote host', 'http://api.bindid.io'],
    ['apiUrl', 'plain http to a look-alike of localhost', 'http://localhost.example.com'],
    ['apiUrl', 'ftp', 'ftp://127.0.0.1'],
    ['apiUrl', 'credentials', 'https://user:pw@api.bindid.io'],
    ['apiUrl', 'a query', 'https://api.bindid.io/?x=1'],
    ['apiUrl', 'a fragment', 'https://api.bindid.io/#x'],
    ['apiUrl', 'a number', 443],
    ['timeoutMs', 'zero', 0],
    ['timeoutMs', 'below 100', 99],
    ['timeoutMs', 'a float', 1500.5],
    ['timeoutMs', 'a string', '5000'],
    ['timeoutMs', 'above 120000', 120_001],
    ['retries', 'negative', -1],
    ['retries', 'above 10', 11],
    ['retries', 'a float', 1.5],
    ['retries', 'a boolean', true],
    ['backoff', 'null', null],
    ['backoff', 'a number', 100],
    ['backoff.baseMs', 'negative', { baseMs: -1 }],
    ['backoff.maxMs', 'a string', { maxMs: '2000' }],
    ['backoff.maxMs', 'below baseMs', { baseMs: 500, maxMs: 100 }],
    ['backoff.basems', 'a typo', { basems: 100 }],
    ['maxResponseBytes', 'negative', -1],
    ['maxResponseBytes', 'above 16 MiB', 16 * 1024 * 1024 + 1],
    ['now', 'a number', 1_700_000_000_000],
    ['random', 'a number', 0.5],
    ['userAgent', 'empty', ''],
    ['userAgent', 'a number', 1],
    ['userAgent', 'CR LF (header injection)', 'my-app\r\nX-Injected: 1'],
    ['userAgent', 'non-Latin-1', 'app \u2028'],
  ];
  it.each(cases)('%s: %s', (option, _what, value) => {
    const key = option.split('.')[0] as string;
    const options = option.startsWith('backoff.') ? withOption('backoff', value) : withOption(key, value);
    if (value === undefined) delete options[key];
    const err = optionError(options);
    expect(err.option).toBe(option);
    expect(err.message).toContain(`\`${option}\``);
  });

  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'secret'],
    ['an array', [base]],
  ])('the options object itself: %s', (_what, options) => {
    optionError(options);
  });

  it('accepts plain http for loopback hosts only: localhost, 127.x.y.z, [::1]', () => {
    for (const apiUrl of ['http://localhost:8080', 'http://127.0.0.1:1', 'http://127.1.2.3', 'http://[::1]:9000']) {
      new SessionFeedbackClient({ ...base, apiUrl }).close();
    }
  });

  it('I72 a secret with whitespace is refused without repeating it', () => {
    const err = optionError(withOption('clientSecret', `${SECRET}\n`));
    expect(err.message).toMatch(/whitespace/);
    expect(err.message).not.toContain(SECRET);
  });
});

describe('unknown options get a typo hint', () => {
  it.each([
    ['timeOutMs', 'timeoutMs'],
    ['timeout', 'timeoutMs'],
    ['retires', 'retries'],
    ['apiURL', 'apiUrl'],
    ['clientsecret', 'clientSecret'],
    ['userAgen', 'userAgent'],
  ])('%s → did you mean %s', (typo, meant) => {
    const err = optionError(withOption(typo, 1));
    expect(err.option).toBe(typo);
    expect(err.message).toContain(`Did you mean \`${meant}\`?`);
  });
  it('a nested typo is hinted with its path: backoff.maxMS → backoff.maxMs', () => {
    expect(optionError(withOption('backoff', { maxMS: 10 })).message).toContain('Did you mean `backoff.maxMs`?');
  });
  it('a name far from every option gets the list, no hint', () => {
    const err = optionError(withOption('retryPolicy', 1));
    expect(err.message).not.toContain('Did you mean');
    expect(err.message).toContain('Known options: clientSecret, apiUrl');
  });
});

describe('no axios instance is taken', () => {
  it('axios is an unknown option: the client owns its HTTP client, which honours HTTPS_PROXY and NO_PROXY (docs/proxy.md)', () => {
    const err = optionError(withOption('axios', { request: () => undefined }));
    expect(err.option).toBe('axios');
    expect(err.message).toContain('Known options: clientSecret, apiUrl');
  });
});

describe('clientSecret as a function', () => {
  let bindid: FakeBindId;
  beforeEach(async () => {
    bindid = await FakeBindId.start();
  });
  afterEach(async () => {
    await bindid.close();
  });

  it('I78 is read at every send, so a rotated secret is used at once', async () => {
    let current = 'secret-one';
    const client = makeClient(bindid.url, { clientSecret: () => current });
    const t1 = newToken();
    const t2 = newToken();
    await client.aliasDeleted({ accessToken: t1 });
    current = 'secret-two';
    await client.aliasDeleted({ accessToken: t2 });
    expect(bindid.requests.map((r) => r.headers.authorization)).toEqual([
      expectedAuthorization('secret-one', t1),
      expectedAuthorization('secret-two', t2),
    ]);
  });

  it('a returned secret with whitespace is an option error naming clientSecret, and nothing is sent', async () => {
    const client = makeClient(bindid.url, { clientSecret: () => `${SECRET}\n` });
    const err = await rejection(client.aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'clientSecret' });
    expect(err.message).not.toContain(SECRET);
    expect(bindid.requests).toEqual([]);
  });

  it('a provider that throws gives a coded error naming clientSecret, without its message, and nothing is sent', async () => {
    const client = makeClient(bindid.url, {
      clientSecret: () => {
        throw new Error(`vault unreachable; last secret was ${SECRET}`);
      },
    });
    const err = await rejection(client.aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.INVALID_OPTION, option: 'clientSecret' });
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(err.message).not.toContain(SECRET);
    expect((err.cause as Error).message).not.toContain(SECRET);
    expect(bindid.requests).toEqual([]);
  });
});

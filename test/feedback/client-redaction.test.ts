/**
 * Redaction (reliability §3.7, checklist H 61–65): for every way a report can fail, the error (its
 * message, stack, JSON, util.inspect output, properties and cause chain) and all `debug` output
 * under `express-bindid:*` hold none of: the client secret, the access token, the HMAC, the
 * `BindIdBackend` scheme. No error is or wraps an AxiosError, and none has `config`, `request` or
 * `response`. The client itself never shows the secret.
 */
import { inspect } from 'node:util';
import { isBindIdError, SessionFeedbackClient, type SessionFeedbackClientOptions } from '../../src/index.js';
import { closedPort, type FakeBindId, type Reply, reply } from '../helpers/fake-bindid.js';
import { until, watch, withFakeClock } from '../helpers/fake-clock.js';
import { hmac, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import { captureDebug, leaksIn } from '../helpers/leaks.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

interface Scenario {
  /** Prepare the fake server and return client options for this failure. */
  setup: (token: string) => Promise<Partial<SessionFeedbackClientOptions>> | Partial<SessionFeedbackClientOptions>;
  /** The input token; defaults to a fresh valid one. */
  token?: string;
  /** Whether debug output is expected (network failures are logged; argument errors are not). */
  logs?: boolean;
  /** The deadline the report runs into (the server hangs or trickles), passed on a fake clock once the report has arrived. */
  deadlineMs?: number;
}

/** Make the fake server answer every request with `r`; return the client options of the scenario. */
function serve(r: Reply, options: Partial<SessionFeedbackClientOptions> = {}): Partial<SessionFeedbackClientOptions> {
  bindid.setDefault(r);
  return options;
}

/** A response body that repeats the credentials, as a careless or hostile upstream might. */
const echo = (token: string) => JSON.stringify({ error: 'invalid_token', token, secret: SECRET, header: `BindIdBackend AccessToken ${token}` });

const scenarios: Record<string, Scenario> = {
  '400 whose body echoes the token': { setup: (t) => serve(reply.status(400, { body: echo(t) })), logs: true },
  '401': { setup: (t) => serve(reply.status(401, { body: echo(t) })), logs: true },
  '403': { setup: () => serve(reply.status(403)), logs: true },
  '307 redirect': { setup: () => serve(reply.redirect(307, 'http://127.0.0.1:9/steal')), logs: true },
  '500 whose body echoes token and secret, after its retry': {
    setup: (t) => serve(reply.status(500, { body: echo(t) })),
    logs: true,
  },
  '503 after every retry': { setup: () => serve(reply.status(503)), logs: true },
  '429 with Retry-After past the deadline': {
    setup: () => serve(reply.status(429, { headers: { 'Retry-After': '3600' } })),
    logs: true,
  },
  'timeout (hung server)': { setup: () => serve(reply.hang()), logs: true, deadlineMs: 200 },
  'timeout (trickling server)': { setup: () => serve(reply.trickle(503, 20)), logs: true, deadlineMs: 200 },
  'connection refused': { setup: async () => ({ apiUrl: `http://127.0.0.1:${await closedPort()}` }), logs: true },
  'connection reset': { setup: () => serve(reply.drop()), logs: true },
  'clientSecret function that throws with the secret in its message': {
    setup: () => ({
      clientSecret: () => {
        throw new Error(`cannot refresh ${SECRET}`);
      },
    }),
  },
  'invalid input: a token with a semicolon': { token: `${newToken()};x`, setup: () => ({}) },
  'invalid input: a token with CR LF': { token: `${newToken()}\r\nX-Evil: 1`, setup: () => ({}) },
  'invalid input: a token that is too long': { token: 'A'.repeat(5000), setup: () => ({}) },
};

describe.each(Object.entries(scenarios))('%s', (_name, scenario) => {
  it('the error and the debug output hold no secret, no AxiosError, no config/request/response', async () => {
    const token = scenario.token ?? newToken();
    const options = await scenario.setup(token);
    const { deadlineMs } = scenario;
    const client = makeClient(bindid.url, { retries: 2, ...(deadlineMs === undefined ? {} : { timeoutMs: deadlineMs }), ...options });
    const report = () => rejection(client.authenticationPerformed({ accessToken: token, alias: 'user-1' }));
    const log = captureDebug();
    let err: unknown;
    try {
      err =
        deadlineMs === undefined
          ? await report()
          : await withFakeClock(async () => {
              const call = watch(report());
              await until(() => bindid.requests.length === 1, 'the report reached the server');
              await jest.advanceTimersByTimeAsync(deadlineMs);
              return call.promise;
            });
    } finally {
      log.stop();
    }
    expect(isBindIdError(err)).toBe(true);
    expect(leaksIn(err, log.lines, { secret: SECRET, token, hmac: hmac(SECRET, token), 'scheme BindIdBackend': 'BindIdBackend' })).toEqual([]);
    if (scenario.logs) expect(log.lines.length).toBeGreaterThan(0); // or the log check above proves nothing
  });
});

describe('an invalid alias, time or unknown key', () => {
  /** Stands for the test's token in the table below. */
  const TOKEN = Symbol('token');
  it.each<[string, Record<string, unknown>]>([
    ['alias with a newline', { alias: 'a\nb' }],
    ['float time', { alias: 'a', time: 1.5 }],
    ['a misspelt key holding the token', { alias: 'a', acessToken: TOKEN }],
  ])('%s: no secret in the error', async (_what, input) => {
    const token = newToken();
    const withToken = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, v === TOKEN ? token : v]));
    const err = await rejection(makeClient(bindid.url).authenticationPerformed({ accessToken: token, ...withToken } as never));
    expect(leaksIn(err, [], { secret: SECRET, token, hmac: hmac(SECRET, token) })).toEqual([]);
  });
});

describe('success', () => {
  it('after retries, the debug output holds no secret', async () => {
    bindid.script(reply.status(503), reply.status(500), reply.json(200, {}));
    const token = newToken();
    const log = captureDebug();
    try {
      await makeClient(bindid.url).authenticationPerformed({ accessToken: token, alias: 'user-1' });
    } finally {
      log.stop();
    }
    expect(log.lines.length).toBeGreaterThan(2);
    expect(leaksIn(undefined, log.lines, { secret: SECRET, token, hmac: hmac(SECRET, token), scheme: 'BindIdBackend' })).toEqual([]);
  });
});

describe('the client object', () => {
  const shown = (client: SessionFeedbackClient): Array<[string, string]> => [
    ['util.inspect', inspect(client, { depth: 10, showHidden: true })],
    ['util.inspect without custom inspect', inspect(client, { depth: 10, showHidden: true, customInspect: false })],
    ['JSON.stringify', JSON.stringify(client)],
    ['String', String(client)],
    ['Object.entries', inspect(Object.entries(client), { depth: 10 })],
  ];

  it.each<[string, Partial<SessionFeedbackClientOptions>]>([
    ['with a string secret', {}],
    ['with a secret function', { clientSecret: () => SECRET }],
  ])('%s never shows the secret', (_what, options) => {
    const client = makeClient('https://api.bindid-sandbox.io', options);
    const leaks = shown(client)
      .filter(([, text]) => text.includes(SECRET))
      .map(([how]) => `${how} shows the secret`);
    expect(leaks).toEqual([]);
  });

  it('an option error about the secret does not show it', () => {
    let err: unknown;
    try {
      new SessionFeedbackClient({ clientSecret: `${SECRET} `, apiUrl: 'https://api.bindid-sandbox.io' });
    } catch (e) {
      err = e;
    }
    expect(isBindIdError(err)).toBe(true);
    expect(leaksIn(err, [], { secret: SECRET })).toEqual([]);
  });
});

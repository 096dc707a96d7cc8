/**
 * Every request the library makes goes through the egress proxy the environment names (docs/proxy.md),
 * shown with a real forward proxy on loopback (test/helpers/connect-proxy.ts) in front of the
 * emulator: discovery, token, JWKS, a report, custom user data and the doctor's probes.
 *
 * - Over TLS (the emulator's `tls` option, the test certificate trusted through
 *   `NODE_EXTRA_CA_CERTS` in a child process, TLS verification on): `HTTPS_PROXY` makes each of them
 *   go through a CONNECT tunnel, and the proxy sees only encrypted bytes.
 * - Over plain http: `HTTP_PROXY` makes each of them go to the proxy in absolute form.
 * - Without a proxy variable, or with the host in `NO_PROXY`, none goes through it.
 *
 * Which requests went through the proxy is read on the emulator's side (`http.server.request.start`
 * on `diagnostics_channel`): a request came through the proxy when its client port is the port of
 * one of the proxy's connections to the emulator.
 */
import diagnostics from 'node:diagnostics_channel';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { ConnectProxy } from '../helpers/connect-proxy.js';
import { hmac } from '../helpers/feedback.js';
import { PROXY_VARIABLES, withProxyEnv } from '../helpers/proxy-env.js';
import { BROWSER, everyRequest, type Outcome, type Target } from './every-request.js';

const fixtures = path.join(__dirname, '..', 'fixtures');
const CERT_FILE = path.join(fixtures, 'self-signed-cert.pem');
const REDIRECT = 'http://localhost:4000/bindid/callback';

/** One request the emulator received, the library's only (the browser's step is left out). */
interface Seen {
  readonly what: string;
  readonly clientPort: number | undefined;
}

/** Record the requests the emulator's servers receive while `run` runs. */
async function seenBy<T>(emulator: Emulator, run: () => Promise<T>): Promise<{ result: T; seen: Seen[] }> {
  const ports = new Set([emulator.issuer, emulator.apiUrl].map((u) => Number(new URL(u).port)));
  const seen: Seen[] = [];
  const onRequest = (message: unknown) => {
    const { request, socket } = message as { request: http.IncomingMessage; socket: { localPort?: number; remotePort?: number } };
    if (!ports.has(socket.localPort ?? 0) || request.headers['user-agent'] === BROWSER) return;
    seen.push({ what: `${request.method} ${(request.url ?? '').split('?')[0]}`, clientPort: socket.remotePort });
  };
  diagnostics.subscribe('http.server.request.start', onRequest);
  try {
    return { result: await run(), seen };
  } finally {
    diagnostics.unsubscribe('http.server.request.start', onRequest);
  }
}

/** `everyRequest` in a child process that trusts the test certificate, with only the proxy variables of `env`. */
function inChild(target: Target, env: Record<string, string>): Promise<Outcome> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !PROXY_VARIABLES.includes(name)));
  const child = fork(path.join(__dirname, 'every-request.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...inherited, ...env, NODE_EXTRA_CA_CERTS: CERT_FILE, EVERY_REQUEST_TARGET: JSON.stringify(target) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // Settled when the child has exited (a child left running would hold this worker), with its outcome.
  return new Promise((resolve, reject) => {
    let outcome: Outcome | undefined;
    child.once('message', (message) => {
      outcome = message as Outcome;
    });
    child.once('error', reject);
    child.once('exit', (code) => (outcome ? resolve(outcome) : reject(new Error(`the child exited (${code}) without an outcome`))));
  });
}

function targetOf(emulator: Emulator): Target {
  return { issuer: emulator.issuer, apiUrl: emulator.apiUrl, clientId: emulator.clientId, clientSecret: emulator.clientSecret, redirectUri: REDIRECT };
}

/** The library's kinds of request, each of which must be among those seen. */
const KINDS = [
  'GET /.well-known/openid-configuration',
  'POST /token',
  'GET /jwks',
  'POST /session-feedback',
  'POST /custom-user-data',
  'GET /custom-user-data',
];

function expectEveryStepDone(outcome: Outcome): void {
  expect({ signIn: outcome.signIn, report: outcome.report, customUserData: outcome.customUserData }).toEqual({ signIn: 'ok', report: 'ok', customUserData: 'ok' });
  expect(outcome.doctor.discovery).toBe('pass');
  expect(outcome.doctor['client-auth']).toBe('pass');
}

/** Which of `seen` came through `proxy` (by client port), and which did not. */
function split(seen: Seen[], proxy: ConnectProxy): { through: string[]; direct: string[] } {
  const ports = proxy.upstreamPorts();
  return {
    through: seen.filter((s) => s.clientPort !== undefined && ports.has(s.clientPort)).map((s) => s.what),
    direct: seen.filter((s) => s.clientPort === undefined || !ports.has(s.clientPort)).map((s) => s.what),
  };
}

let proxy: ConnectProxy;
beforeEach(async () => {
  proxy = await ConnectProxy.start();
});
afterEach(async () => {
  await proxy.close();
});

describe('an emulator over TLS (https targets), the library in a child process that trusts its certificate', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    const tls: EmulatorOptions['tls'] = { key: readFileSync(path.join(fixtures, 'self-signed-key.pem')), cert: readFileSync(CERT_FILE) };
    emulator = await createEmulator({ redirectUris: [REDIRECT], tls });
  });
  afterAll(() => emulator.close());

  it('N176 with HTTPS_PROXY, every request (discovery, token, JWKS, report, custom user data, the doctor\'s probes) goes through a CONNECT tunnel', async () => {
    const { result, seen } = await seenBy(emulator, () => inChild(targetOf(emulator), { HTTPS_PROXY: proxy.url }));
    expectEveryStepDone(result);
    const { through, direct } = split(seen, proxy);
    expect(direct).toEqual([]);
    expect([...new Set(through)]).toEqual(expect.arrayContaining(KINDS));
    expect(through.length).toBeGreaterThan(KINDS.length); // the doctor's probes too
    const hosts = [emulator.issuer, emulator.apiUrl].map((u) => new URL(u).host);
    expect(new Set(proxy.tunnels.map((t) => t.target))).toEqual(new Set(hosts));
    expect(proxy.forwarded).toEqual([]);
  });

  it('H68 through HTTPS_PROXY the proxy sees no secret, token or HMAC: the tunnels carry TLS only', async () => {
    const { result } = await seenBy(emulator, () => inChild(targetOf(emulator), { https_proxy: proxy.url }));
    expectEveryStepDone(result);
    const carried = proxy.tunnels.map((t) => `${t.target}\n${t.sent}\n${t.received}`).join('\n');
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries({ 'client secret': emulator.clientSecret, 'access token': result.accessToken, HMAC: hmac(emulator.clientSecret, result.accessToken) })) {
      expect(`${name}: ${carried.includes(value) ? 'seen by the proxy' : 'not seen'}`).toBe(`${name}: not seen`);
    }
    expect(carried).not.toContain('/session-feedback');
  });

  it('N176 without a proxy variable, nothing goes through the proxy', async () => {
    const { result, seen } = await seenBy(emulator, () => inChild(targetOf(emulator), {}));
    expectEveryStepDone(result);
    expect([...new Set(seen.map((s) => s.what))]).toEqual(expect.arrayContaining(KINDS));
    expect(proxy.tunnels).toEqual([]);
    expect(split(seen, proxy).through).toEqual([]);
  });

  it('N176 NO_PROXY naming the API host (host:port) keeps the reports direct; the sign-in host still goes through the proxy', async () => {
    const api = new URL(emulator.apiUrl).host;
    const { result, seen } = await seenBy(emulator, () => inChild(targetOf(emulator), { HTTPS_PROXY: proxy.url, NO_PROXY: api }));
    expectEveryStepDone(result);
    const { through, direct } = split(seen, proxy);
    expect([...new Set(direct)]).toEqual(expect.arrayContaining(['POST /session-feedback', 'POST /custom-user-data', 'GET /custom-user-data']));
    expect([...new Set(through)]).toEqual(expect.arrayContaining(['GET /.well-known/openid-configuration', 'POST /token', 'GET /jwks']));
    expect(proxy.tunnels.map((t) => t.target)).not.toContain(api);
  });
});

describe('an emulator over plain http (http targets), in this process', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await createEmulator({ redirectUris: [REDIRECT] });
  });
  afterAll(() => emulator.close());

  it('N176 with HTTP_PROXY, every request goes to the proxy in absolute form, and the proxy forwards it', async () => {
    const { result, seen } = await seenBy(emulator, () => withProxyEnv({ HTTP_PROXY: proxy.url }, () => everyRequest(targetOf(emulator))));
    expectEveryStepDone(result);
    const asked = proxy.forwarded.map((f) => `${f.method} ${new URL(f.url).pathname}`);
    expect([...new Set(asked)]).toEqual(expect.arrayContaining(KINDS));
    expect(asked).toHaveLength(seen.length);
    expect(split(seen, proxy).direct).toEqual([]);
    expect(proxy.forwarded.every((f) => f.url.startsWith(`${new URL(f.url).origin}/`) && f.headers.host === new URL(f.url).host)).toBe(true);
  });

  it('N176 NO_PROXY=* (or the host) keeps every request direct', async () => {
    for (const noProxy of ['*', new URL(emulator.issuer).hostname]) {
      const { result, seen } = await seenBy(emulator, () => withProxyEnv({ HTTP_PROXY: proxy.url, no_proxy: noProxy }, () => everyRequest(targetOf(emulator))));
      expectEveryStepDone(result);
      expect([...new Set(seen.map((s) => s.what))]).toEqual(expect.arrayContaining(KINDS));
    }
    expect(proxy.forwarded).toEqual([]);
  });
});

/**
 * Every kind of request express-bindid makes, once each, against an emulator: discovery, token and
 * JWKS (a BindID sign-in through `BindIdOidcClient`, the client of the router and of
 * `BindIdStrategy`), a report and custom user data (`SessionFeedbackClient`), and the doctor's
 * probes (`checkBindIdSetup`). The browser's own step (`/authorize`) is made directly with
 * `node:http(s)`, marked with the `User-Agent` {@link BROWSER}.
 *
 * Used in process, and as a child process (`fork` under tsx, {@link runAsChild}) for an emulator
 * over TLS: the child trusts the test certificate through `NODE_EXTRA_CA_CERTS`, which Node reads
 * only when it starts, and sends its outcome over IPC.
 *
 * @module
 */
import http from 'node:http';
import https from 'node:https';
import { SessionFeedbackClient } from '../../src/index.js';
import { checkBindIdSetup } from '../../src/doctor/index.js';
import { BindIdOidcClient } from '../../src/oidc/bindid-oidc-client.js';

/** The emulator to ask. */
export interface Target {
  readonly issuer: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
}

/** What each step gave: `ok`, an HTTP status, or an error code. */
export interface Outcome {
  readonly signIn: string;
  readonly report: string;
  readonly customUserData: string;
  readonly doctor: Record<string, string>;
  /** The access token of the sign-in, to look for in what a proxy carried. */
  readonly accessToken: string;
}

/** The `User-Agent` of the browser's step, which is not the library's. */
export const BROWSER = 'every-request-browser';

/** Make every kind of request once; never throws (a failed step is named in the outcome). */
export async function everyRequest(target: Target): Promise<Outcome> {
  const oidc = new BindIdOidcClient({ ...target, scope: 'openid', timeoutMs: 5000 });
  let accessToken = '';
  const signIn = await step(async () => {
    const { url, transaction } = await oidc.authorizationRequest('/', Date.now());
    const callback = new URL(await browserRedirect(`${url}&identity=new`));
    accessToken = (await oidc.callback(callback.search.slice(1), transaction)).accessToken;
  });
  const feedback = new SessionFeedbackClient({ clientSecret: target.clientSecret, apiUrl: target.apiUrl, timeoutMs: 5000, retries: 0 });
  const alias = `proxy-user-${Math.random().toString(36).slice(2)}`; // each run a user of its own
  const report = await step(() => feedback.authenticationPerformed({ accessToken, alias }));
  const customUserData = await step(async () => {
    await feedback.setCustomUserData(accessToken, { plan: 'gold' });
    await feedback.getCustomUserData(accessToken);
  });
  feedback.close();
  const setup = await checkBindIdSetup({ ...target, timeoutMs: 5000 });
  const doctor = Object.fromEntries(setup.checks.map((c) => [c.id, c.status]));
  return { signIn, report, customUserData, doctor, accessToken };
}

async function step(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return String((err as { code?: unknown }).code ?? (err as Error).name);
  }
}

/** The browser at `/authorize`: the `Location` it is sent to. */
function browserRedirect(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    get(url, { agent: false, headers: { 'user-agent': BROWSER } }, (res) => {
      res.resume();
      res.headers.location ? resolve(res.headers.location) : reject(new Error(`no redirect (HTTP ${res.statusCode})`));
    }).once('error', reject);
  });
}

/** As a child process: the target from `EVERY_REQUEST_TARGET`, the outcome sent to the parent. */
export async function runAsChild(): Promise<void> {
  const outcome = await everyRequest(JSON.parse(process.env.EVERY_REQUEST_TARGET ?? '{}') as Target);
  process.send?.(outcome, () => process.disconnect());
}

if (process.env.EVERY_REQUEST_TARGET !== undefined && process.send !== undefined) void runAsChild();

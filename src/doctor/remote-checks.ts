/**
 * The checks that call BindID with the app's credentials, without any effect there:
 *
 * - `client-auth`: a code exchange with an invalid code and the secret in the form body
 *   (`client_secret_post`, as the library sends it), only to the token endpoint of a discovery
 *   document read without a redirect, only on the issuer's own host (BindID's is `<issuer>/token`),
 *   and only over https or to this machine: a discovery document cannot send the secret elsewhere.
 *   BindID checks the client before the code, so `invalid_grant` means the client id and secret were
 *   accepted; `invalid_client` means they were not.
 * - `api-host`: a session-feedback report signed with the secret, for a random access token that
 *   cannot exist. BindID's API answers 401 (unknown token); a 404, a redirect or an HTML page means
 *   the URL is not BindID's API host.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { authorizationHeader } from '../feedback/signing.js';
import { ask, jsonObject, type ProbeContext, redirected } from './ask.js';
import { API_HOSTS_TEXT } from './known-hosts.js';
import type { ProbeResult } from './probe.js';
import type { BindIdSetupCheck, BindIdSetupOptions } from './types.js';

const API_FIX = `set apiUrl to BindID's service-provider API host, not the sign-in host: ${API_HOSTS_TEXT}`;

function fail(id: BindIdSetupCheck['id'], detail: string, fix: string): BindIdSetupCheck {
  return { id, status: 'fail', detail, fix };
}

/** The `error` field of an OAuth error answer, if there is one (secrets removed before it is cut short). */
export function oauthError(text: Record<string, unknown> | undefined, ctx: ProbeContext): string | undefined {
  return typeof text?.error === 'string' ? ctx.redactor.clean(text.error).slice(0, 64) : undefined;
}

/** Whether `url` is on the issuer's origin: the only place the secret may go. */
export function onIssuerHost(url: string, issuer: string): boolean {
  return new URL(url).origin === new URL(issuer).origin;
}

/**
 * A code exchange with a random invalid code and the secret in the form body (`client_secret_post`),
 * with `codeVerifier` when given. Only to a token endpoint on the issuer's host (BindID's is
 * `<issuer>/token`), and `ask` sends it only over https or to this machine.
 */
export async function exchangeInvalidCode(
  options: BindIdSetupOptions,
  url: string,
  ctx: ProbeContext,
  codeVerifier?: string,
): Promise<ProbeResult> {
  ctx.redactor.add(options.clientSecret);
  if (!onIssuerHost(url, options.issuer)) return { ok: false, problem: `not sent: the token endpoint ${url} is not on the issuer's host` };
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code: `bindid-doctor-${randomBytes(16).toString('base64url')}`,
    redirect_uri: options.redirectUri,
    client_id: options.clientId,
    client_secret: options.clientSecret,
    ...(codeVerifier === undefined ? {} : { code_verifier: codeVerifier }),
  });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  return ask(url, { method: 'POST', headers, body: body.toString(), secret: true }, ctx);
}

/** Check that the token endpoint of the discovery document accepts the client with `client_secret_post`. */
export async function checkClientAuth(options: BindIdSetupOptions, url: string, ctx: ProbeContext): Promise<BindIdSetupCheck> {
  ctx.redactor.add(options.clientSecret);
  if (!onIssuerHost(url, options.issuer)) {
    return fail(
      'client-auth',
      `not checked: the token endpoint ${url} is not on the issuer's host, so the secret was not sent there`,
      "BindID's token endpoint is <issuer>/token: check that the issuer is BindID's sign-in host",
    );
  }
  const result = await exchangeInvalidCode(options, url, ctx);
  if (!result.ok) return fail('client-auth', result.problem, 'check that this machine can reach the sign-in host');
  const { answer } = result;
  const redirect = redirected(url, answer);
  if (redirect !== undefined) return fail('client-auth', redirect, 'the token endpoint must answer without a redirect: check the issuer');
  const error = oauthError(jsonObject(answer), ctx);
  const seen = `${answer.status}${error === undefined ? '' : ` ${error}`}`;
  if (error === 'invalid_grant') {
    return {
      id: 'client-auth',
      status: 'pass',
      detail: `${url} accepted client_secret_post for client "${options.clientId}" (an invalid code got ${seen})`,
    };
  }
  if (error === 'invalid_client' || answer.status === 401) {
    return fail(
      'client-auth',
      `${url} refused the client (${seen})`,
      'check clientId and clientSecret against the application in the BindID Admin Portal (same environment as the issuer); the secret is sent in the form body (client_secret_post)',
    );
  }
  return fail(
    'client-auth',
    `${url} answered ${seen} to an invalid code, not 400 invalid_grant`,
    'check that the issuer is BindID\'s sign-in host and that clientId is the application\'s client id',
  );
}

/** Check that the API host answers a signed report for an unknown access token with 401. */
export async function checkApiHost(options: BindIdSetupOptions, ctx: ProbeContext): Promise<BindIdSetupCheck> {
  const url = `${options.apiUrl.replace(/\/+$/, '')}/session-feedback`;
  const token = randomBytes(32).toString('base64url');
  const header = authorizationHeader(options.clientSecret, token);
  ctx.redactor.add(options.clientSecret);
  ctx.redactor.add(token);
  ctx.redactor.add(header.slice(header.indexOf('; ') + 2));
  const body = JSON.stringify({
    subject_session_at: token,
    reports: [{ type: 'authentication_performed', alias: 'bindid-doctor-check', time: Math.floor(ctx.now() / 1000) }],
  });
  const headers = { authorization: header, 'content-type': 'application/json' };
  const result = await ask(url, { method: 'POST', headers, body, secret: true }, ctx);
  if (!result.ok) return fail('api-host', result.problem, `check the API URL and that this machine can reach it; ${API_FIX}`);
  const { answer } = result;
  const redirect = redirected(url, answer);
  if (redirect !== undefined) return fail('api-host', redirect, API_FIX);
  if (answer.mediaType === 'text/html') {
    return fail('api-host', `${url} answered ${answer.status} with an HTML page`, API_FIX);
  }
  if (answer.status === 401) {
    return { id: 'api-host', status: 'pass', detail: `${url} answered a signed report for an unknown access token with 401` };
  }
  if (answer.status === 404) {
    return fail('api-host', `${url} answered 404: there is no /session-feedback here`, API_FIX);
  }
  return fail('api-host', `${url} answered ${answer.status} to a signed report for an unknown access token, not 401`, API_FIX);
}

/**
 * `checkPkce`: whether BindID treats PKCE together with the client secret differently, which its
 * documentation leaves open (its PKCE examples send no secret, Transmit's samples no `code_verifier`).
 * Two code exchanges with an invalid code and the secret in the form body, one with a dummy
 * `code_verifier` and one without, and their OAuth errors compared: alike (both `invalid_grant`),
 * nothing suggests a refusal; different (say `invalid_request` about PKCE with the verifier), BindID
 * looks at the verifier before the code, and may refuse every PKCE sign-in at the token exchange
 * (`ERR_BINDID_CALLBACK_INVALID`): a warning advising `pkce: false`. Only a real sign-in can tell for
 * sure, so it is never a failure.
 *
 * The secret goes only where `client-auth` sends it (`exchangeInvalidCode`).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { jsonObject, type ProbeContext, redirected } from './ask.js';
import type { ProbeResult } from './probe.js';
import { exchangeInvalidCode, oauthError, onIssuerHost } from './remote-checks.js';
import type { BindIdSetupCheck, BindIdSetupOptions } from './types.js';

/** What an answer was, for comparing: `400 invalid_grant`, with its description apart. */
interface Seen {
  readonly label: string;
  readonly error: string | undefined;
  readonly description: string | undefined;
}

const PKCE_OFF_FIX =
  "set pkce: false in the options of bindIdRouter or BindIdStrategy (sign-ins then send no code_challenge and no code_verifier, as Transmit's samples do); if sign-ins already complete with PKCE on, leave it";

/** The answer's status and OAuth error, or why there is none. */
function seenIn(url: string, result: ProbeResult, ctx: ProbeContext): Seen | { problem: string } {
  if (!result.ok) return { problem: result.problem };
  const redirect = redirected(url, result.answer);
  if (redirect !== undefined) return { problem: redirect };
  const body = jsonObject(result.answer);
  const error = oauthError(body, ctx);
  const description = typeof body?.error_description === 'string' ? ctx.redactor.clean(body.error_description).slice(0, 120) : undefined;
  return { label: `${result.answer.status}${error === undefined ? '' : ` ${error}`}`, error, description };
}

/** `400 invalid_request ("…")`. */
function described(seen: Seen): string {
  return seen.description === undefined ? seen.label : `${seen.label} ("${seen.description}")`;
}

/** No comparable answer: the host did not answer, or redirected. */
function unanswered(problem: string): BindIdSetupCheck {
  return { id: 'pkce', status: 'fail', detail: problem, fix: 'check that this machine can reach the sign-in host, and the client-auth line' };
}

/** Compare BindID's answers to an invalid code with and without a dummy `code_verifier` (see the module). */
export async function checkPkce(options: BindIdSetupOptions, url: string, ctx: ProbeContext): Promise<BindIdSetupCheck> {
  if (!onIssuerHost(url, options.issuer)) {
    return { id: 'pkce', status: 'skipped', detail: "not checked: the token endpoint is not on the issuer's host (see client-auth)" };
  }
  const verifier = randomBytes(32).toString('base64url');
  const [plainResult, withResult] = await Promise.all([
    exchangeInvalidCode(options, url, ctx),
    exchangeInvalidCode(options, url, ctx, verifier),
  ]);
  const plain = seenIn(url, plainResult, ctx);
  const withVerifier = seenIn(url, withResult, ctx);
  if ('problem' in plain) return unanswered(plain.problem);
  if ('problem' in withVerifier) return unanswered(withVerifier.problem);
  if (plain.error !== 'invalid_grant') {
    return { id: 'pkce', status: 'skipped', detail: `not checked: an invalid code got ${plain.label}, not invalid_grant (see client-auth)` };
  }
  if (plain.label === withVerifier.label) {
    return {
      id: 'pkce',
      status: 'pass',
      detail: `an invalid code got ${plain.label} with a dummy code_verifier as without one: nothing suggests BindID refuses PKCE with the client secret`,
    };
  }
  const differ = `an invalid code got ${plain.label} without a code_verifier but ${described(withVerifier)} with a dummy one`;
  if (options.pkce === false) {
    return { id: 'pkce', status: 'pass', detail: `${differ}; pkce is off, as this suggests` };
  }
  return {
    id: 'pkce',
    status: 'warn',
    detail: `${differ}: BindID may refuse PKCE together with the client secret, and every sign-in fail at the token exchange (ERR_BINDID_CALLBACK_INVALID)`,
    fix: PKCE_OFF_FIX,
  };
}

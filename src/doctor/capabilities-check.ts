/**
 * `checkCapabilities(document)`: what the discovery document advertises that would make sign-ins
 * fail although every other check passes. Each finding is a warning (`warn`), since BindID's
 * documents are not public and only a real sign-in confirms it:
 *
 * - `authorization_response_iss_parameter_supported: true`: openid-client (RFC 9207) then refuses
 *   every callback without an `iss` parameter equal to the issuer;
 * - no `S256` in `code_challenge_methods_supported`: the library's PKCE (on by default) is S256;
 * - no `client_secret_post` in `token_endpoint_auth_methods_supported`: the library sends the secret
 *   in the form body (an absent list means `client_secret_basic` only, RFC 8414);
 * - no `RS256` in `id_token_signing_alg_values_supported`: the library accepts RS256 ID tokens only.
 *
 * No request: it reads the document discovery already read.
 *
 * @module
 */
import type { BindIdSetupCheck } from './types.js';

/** One finding: what the document says, and what to do. */
interface Finding {
  readonly detail: string;
  readonly fix: string;
}

/** `name` lists `value`; `undefined` when the document has no such list. */
function lists(document: Record<string, unknown>, name: string, value: string): boolean | undefined {
  const list = document[name];
  return Array.isArray(list) ? list.includes(value) : undefined;
}

/** What a list without `value` looks like in a detail: absent, or its entries (at most a few). */
function without(document: Record<string, unknown>, name: string, value: string): string {
  const list = document[name];
  if (!Array.isArray(list)) return `has no ${name}, so no ${value}`;
  const shownList = list.slice(0, 6).map((entry) => (typeof entry === 'string' ? entry.slice(0, 40) : typeof entry));
  return `${name} is [${shownList.join(', ')}${list.length > 6 ? ', …' : ''}], without ${value}`;
}

/** The findings of `document`, in a fixed order. */
function findingsOf(document: Record<string, unknown>): Finding[] {
  const findings: Finding[] = [];
  if (document.authorization_response_iss_parameter_supported === true) {
    findings.push({
      detail:
        'authorization_response_iss_parameter_supported is true: every callback must carry iss equal to the issuer, and the library (openid-client, RFC 9207) refuses one without it (ERR_BINDID_CALLBACK_INVALID, 400)',
      fix: 'if callbacks fail with ERR_BINDID_CALLBACK_INVALID and BindID\'s redirect has code and state but no iss, give the four endpoints as the metadata option (no discovery: the iss parameter is then not required)',
    });
  }
  if (lists(document, 'code_challenge_methods_supported', 'S256') !== true) {
    findings.push({
      detail: without(document, 'code_challenge_methods_supported', 'S256'),
      fix: 'set pkce: false in the options of bindIdRouter or BindIdStrategy (the library\'s PKCE is S256 only)',
    });
  }
  if (lists(document, 'token_endpoint_auth_methods_supported', 'client_secret_post') !== true) {
    findings.push({
      detail: `${without(document, 'token_endpoint_auth_methods_supported', 'client_secret_post')} (the library sends the secret in the form body)`,
      fix: 'the client-auth line shows whether the token endpoint accepts client_secret_post all the same (if it fails there, check that the issuer is BindID\'s sign-in host)',
    });
  }
  if (lists(document, 'id_token_signing_alg_values_supported', 'RS256') !== true) {
    findings.push({
      detail: `${without(document, 'id_token_signing_alg_values_supported', 'RS256')} (the library accepts RS256 ID tokens only)`,
      fix: 'check that the issuer is BindID\'s sign-in host, whose ID tokens are RS256-signed',
    });
  }
  return findings;
}

/** The `capabilities` check: `pass`, or `warn` with every finding (details and fixes joined). */
export function checkCapabilities(document: Record<string, unknown>): BindIdSetupCheck {
  const findings = findingsOf(document);
  if (findings.length === 0) {
    return {
      id: 'capabilities',
      status: 'pass',
      detail: 'S256, client_secret_post and RS256 advertised; no iss parameter required in callbacks',
    };
  }
  return {
    id: 'capabilities',
    status: 'warn',
    detail: findings.map((finding) => finding.detail).join('; '),
    fix: findings.map((finding) => finding.fix).join('; '),
  };
}

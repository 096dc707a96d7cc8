/**
 * `checkSwap`: after discovery failed, tell whether the issuer and the API URL were given the
 * other way round, a newcomer's slip that otherwise shows as a row of unrelated failures. The two
 * look swapped when the issuer is one of BindID's API hosts and the API URL one of its sign-in hosts
 * (no request needed), or when the API URL serves the discovery document the issuer did not. The
 * check reads only that public document; nothing signed is sent.
 *
 * @module
 */
import { ask, type ProbeContext } from './ask.js';
import { type DiscoveryOutcome, discoveryUrl, issuerBase, readDocument, skipped } from './discovery-checks.js';
import { isKnownApiHost, isKnownSignInHost } from './known-hosts.js';
import type { BindIdSetupCheck } from './types.js';

/** The `detail` of the checks the swap left unchecked. */
export const SWAPPED = 'not checked: issuer and apiUrl look swapped';

/** The two URLs compared. */
interface Hosts {
  readonly issuer: string;
  readonly apiUrl: string;
}

/** Why the issuer and the API URL look swapped, or `undefined`. */
async function swapEvidence(settings: Hosts, discovery: DiscoveryOutcome, ctx: ProbeContext): Promise<string | undefined> {
  const { issuer, apiUrl } = settings;
  if (isKnownApiHost(issuer) && isKnownSignInHost(apiUrl)) {
    return `the issuer ${issuer} is one of BindID's API hosts and the API URL ${apiUrl} one of its sign-in hosts`;
  }
  if (discovery.failure?.answered !== true) return undefined;
  const url = discoveryUrl(apiUrl);
  if ('problem' in readDocument(url, await ask(url, {}, ctx))) return undefined;
  return `${discovery.failure.problem}, but the API URL serves a discovery document (200 JSON at ${url})`;
}

/**
 * The checks after a failed discovery when the issuer and the API URL look swapped: one `discovery`
 * failure saying so with the fix, and the checks that depend on the hosts skipped; `undefined` when
 * they do not look swapped.
 */
export async function checkSwap(
  settings: Hosts,
  discovery: DiscoveryOutcome,
  ctx: ProbeContext,
): Promise<BindIdSetupCheck[] | undefined> {
  const evidence = await swapEvidence(settings, discovery, ctx);
  if (evidence === undefined) return undefined;
  const { issuer, apiUrl } = settings;
  const [newIssuer, newApiUrl] = [issuerBase(apiUrl), issuerBase(issuer)];
  return [
    {
      id: 'discovery',
      status: 'fail',
      detail: `issuer and apiUrl look swapped: ${evidence}`,
      fix: `swap them: issuer ${newIssuer} and apiUrl ${newApiUrl} (--issuer ${newIssuer} --api-url ${newApiUrl}, or BINDID_ISSUER and BINDID_API_URL)`,
    },
    ...(['issuer', 'endpoints', 'jwks', 'capabilities', 'client-auth', 'pkce', 'authorize', 'api-host'] as const).map((id) => skipped(id, SWAPPED)),
  ];
}

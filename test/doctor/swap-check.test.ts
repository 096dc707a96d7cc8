/**
 * `checkSwap` by BindID's host names: the issuer on an API host and the API URL on a sign-in host
 * look swapped without any request (the discovery failure here is a host that did not answer, so
 * the other path, which asks the API URL, is not taken); other pairs are not a swap by name.
 */
import type { ProbeContext } from '../../src/doctor/ask.js';
import type { DiscoveryOutcome } from '../../src/doctor/discovery-checks.js';
import { Redactor } from '../../src/doctor/redactor.js';
import { checkSwap } from '../../src/doctor/swap-check.js';

const UNANSWERED: DiscoveryOutcome = { checks: [], found: false, failure: { problem: 'no answer', answered: false } };

function context(): ProbeContext {
  return { timeoutMs: 100, now: Date.now, dates: [], redactor: new Redactor() };
}

it('the production API host as issuer and a production sign-in host as API URL look swapped by name, with the fix', async () => {
  const ctx = context();
  const checks = await checkSwap({ issuer: 'https://api.bindid.io', apiUrl: 'https://signin.bindid.io/' }, UNANSWERED, ctx);
  expect(checks?.[0]).toEqual({
    id: 'discovery',
    status: 'fail',
    detail: "issuer and apiUrl look swapped: the issuer https://api.bindid.io is one of BindID's API hosts and the API URL https://signin.bindid.io/ one of its sign-in hosts",
    fix: 'swap them: issuer https://signin.bindid.io and apiUrl https://api.bindid.io (--issuer https://signin.bindid.io --api-url https://api.bindid.io, or BINDID_ISSUER and BINDID_API_URL)',
  });
  expect(checks?.slice(1).map((check) => `${check.id} ${check.status}`)).toEqual([
    'issuer skipped',
    'endpoints skipped',
    'jwks skipped',
    'capabilities skipped',
    'client-auth skipped',
    'pkce skipped',
    'authorize skipped',
    'api-host skipped',
  ]);
  expect(ctx.dates).toEqual([]);
});

it('hosts of the right kinds, or an unknown pair after a discovery nobody answered, are no swap', async () => {
  const right = { issuer: 'https://signin.bindid-sandbox.io', apiUrl: 'https://api.bindid-sandbox.io' };
  expect(await checkSwap(right, UNANSWERED, context())).toBeUndefined();
  expect(await checkSwap({ issuer: 'https://api.bindid.io', apiUrl: 'https://api.bindid.io' }, UNANSWERED, context())).toBeUndefined();
});

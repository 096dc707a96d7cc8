/**
 * `checkEnvironment`: whether `issuer` and `apiUrl` are hosts of one BindID environment. Known hosts
 * of two environments fail (the library refuses them at start-up: BindID's API does not know an
 * access token of another environment, and the `api-host` check cannot see it, since a made-up token
 * gets 401 on every API host); a custom host beside a known one, or two custom hosts, pass with a
 * detail saying what was compared. No request is made.
 *
 * @module
 */
import { KNOWN_ENVIRONMENTS, type KnownEnvironment } from './known-hosts.js';
import type { BindIdSetupCheck } from './types.js';

function originOf(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '';
}

function environmentOf(url: string, side: 'issuer' | 'apiUrl'): KnownEnvironment | undefined {
  const origin = originOf(url);
  return KNOWN_ENVIRONMENTS.find((environment) => (side === 'issuer' ? environment.issuers.includes(origin) : environment.apiUrl === origin));
}

/** The `environment` check of `issuer` and `apiUrl`. */
export function checkEnvironment(issuer: string, apiUrl: string): BindIdSetupCheck {
  const [ofIssuer, ofApi] = [environmentOf(issuer, 'issuer'), environmentOf(apiUrl, 'apiUrl')];
  if (ofIssuer && ofApi && ofIssuer !== ofApi) {
    return {
      id: 'environment',
      status: 'fail',
      detail: `the issuer ${issuer} is BindID's ${ofIssuer.name} sign-in host but the apiUrl ${apiUrl} is its ${ofApi.name} API host: every report would fail with ERR_BINDID_UNAUTHORIZED`,
      fix: `use the hosts of one environment: issuer ${ofIssuer.issuers[0]} with apiUrl ${ofIssuer.apiUrl} (${ofIssuer.name}), or issuer ${ofApi.issuers[0]} with apiUrl ${ofApi.apiUrl} (${ofApi.name})`,
    };
  }
  if (ofIssuer && ofApi) return { id: 'environment', status: 'pass', detail: `issuer and apiUrl are both BindID's ${ofIssuer.name} hosts` };
  const known = ofIssuer ? `the issuer is BindID's ${ofIssuer.name} host, the apiUrl is not a known BindID host` : ofApi ? `the apiUrl is BindID's ${ofApi.name} host, the issuer is not a known BindID host` : 'neither is a known BindID host';
  return { id: 'environment', status: 'pass', detail: `not compared: ${known}` };
}

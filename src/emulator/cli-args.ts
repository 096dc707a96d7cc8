/**
 * The command line of `bindid-emulator`: its usage text and the parsing of its arguments into
 * {@link EmulatorOptions} (with `node:util` `parseArgs`; faults use the grammar of `faults.ts`).
 *
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { parseFaultSpec } from './faults.js';
import type { EmulatorOptions, Fault } from './types.js';

/** The `--help` text. */
export const USAGE = `Usage: bindid-emulator [options]

Runs a local BindID: an OIDC sign-in side (the issuer) and a service-provider API side
(/session-feedback), for tests and development. Never use it in production.

Options:
  --port <n>                 port of the sign-in side (the issuer); 0 = any free port (default 9080)
  --api-port <n>             port of the API side (default: --port + 1, or any free port with --port 0)
  --host <host>              interface to listen on, also used in the URLs (default 127.0.0.1)
  --client-id <id>           the registered client id (default bindid-test-client)
  --client-secret <secret>   the client secret (default: the test secret bindid-test-secret)
  --redirect-uri <uri>       a registered redirect URI, matched exactly (repeatable; none: every
                             /authorize fails)
  --alias-conflict <mode>    reject (409, default) or allow an alias another user already holds
  --repeated-authentication-performed <mode>
                             accept (default) or reject (400) authentication_performed for a
                             user who already has an alias
  --unchanged-alias-updated <mode>
                             accept (default) or reject (400) alias_updated with the alias the
                             user already has
  --allow-client-secret-basic  also accept client_secret_basic at /token (BindID: post only)
  --allow-post-authorize     also accept POST /authorize (BindID documents GET)
  --token-response-scope     add scope to the token response (BindID's has none)
  --fault <endpoint>=<spec>  inject a fault (repeatable). Endpoints: discovery, jwks, authorize,
                             token, userinfo, session-feedback, custom-user-data. Spec: items
                             joined by ":" among <status>, retry-after=<seconds>, delay=<ms>,
                             times=<n>, hang, drop, after (handle the request, then drop or
                             answer the status instead); for token also stale-auth-time=<s>
                             (the ID token's auth_time that much earlier) or omit-auth-time.
                             Examples: session-feedback=503:retry-after=1  token=delay=2000
                                       userinfo=hang  jwks=drop  session-feedback=500:times=1
                                       session-feedback=drop:after:times=1
                                       token=stale-auth-time=3600:times=1
  --help                     show this help

Sign in without a browser: GET <issuer>/authorize?...&identity=<alice|bob|new|new-…|cancel>
`;

/** A command-line mistake: reported with the usage, exit code 2. */
export class UsageError extends Error {}

/** What the command line asks for. */
export type Command = { help: true } | { help: false; options: EmulatorOptions };

/**
 * Parse the arguments (without `node` and the script).
 *
 * @throws UsageError saying what is wrong.
 */
export function parseCommandLine(argv: string[]): Command {
  const values = parseOptions(argv);
  if (values.help === true) return { help: true };

  const signinPort = parsePort('--port', values.port ?? '9080');
  const defaultApiPort = signinPort === 0 ? 0 : signinPort + 1;
  const apiPort = values['api-port'] === undefined ? defaultApiPort : parsePort('--api-port', values['api-port']);
  if (apiPort > 65535) throw new UsageError('--api-port is needed: --port + 1 is beyond 65535');

  const aliasConflict = values['alias-conflict'] ?? 'reject';
  if (aliasConflict !== 'reject' && aliasConflict !== 'allow') {
    throw new UsageError('--alias-conflict must be reject or allow');
  }
  const repeated = values['repeated-authentication-performed'] ?? 'accept';
  if (repeated !== 'accept' && repeated !== 'reject') {
    throw new UsageError('--repeated-authentication-performed must be accept or reject');
  }
  const unchanged = values['unchanged-alias-updated'] ?? 'accept';
  if (unchanged !== 'accept' && unchanged !== 'reject') {
    throw new UsageError('--unchanged-alias-updated must be accept or reject');
  }
  const faults: Partial<Record<string, Fault>> = {};
  for (const spec of values.fault ?? []) {
    try {
      const { endpoint, fault } = parseFaultSpec(spec);
      faults[endpoint] = fault;
    } catch (err) {
      throw new UsageError(err instanceof Error ? err.message : String(err));
    }
  }
  const options: EmulatorOptions = {
    signinPort,
    apiPort,
    redirectUris: values['redirect-uri'] ?? [],
    aliasConflict,
    faults,
    repeatedAuthenticationPerformed: repeated,
    unchangedAliasUpdated: unchanged,
    allowClientSecretBasic: values['allow-client-secret-basic'] === true,
    allowPostAuthorize: values['allow-post-authorize'] === true,
    tokenResponseScope: values['token-response-scope'] === true,
  };
  if (values.host !== undefined) options.host = values.host;
  if (values['client-id'] !== undefined) options.clientId = values['client-id'];
  if (values['client-secret'] !== undefined) options.clientSecret = values['client-secret'];
  return { help: false, options };
}

function parsePort(flag: string, value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${flag} must be a port number from 0 to 65535`);
  return port;
}

/** The command line's options, as `node:util` `parseArgs` reads them. */
const OPTIONS = {
  port: { type: 'string' },
  'api-port': { type: 'string' },
  host: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'alias-conflict': { type: 'string' },
  fault: { type: 'string', multiple: true },
  'repeated-authentication-performed': { type: 'string' },
  'unchanged-alias-updated': { type: 'string' },
  'allow-client-secret-basic': { type: 'boolean' },
  'allow-post-authorize': { type: 'boolean' },
  'token-response-scope': { type: 'boolean' },
  help: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

function parseOptions(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

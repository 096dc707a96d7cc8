#!/usr/bin/env node
/**
 * `bindid-doctor`: check an app's BindID settings from the command line ({@link checkBindIdSetup}).
 *
 * Each flag can come from an environment variable instead (the flag wins); prefer the variable for
 * the secret, which a flag shows in the process list. Prints the table and exits 0 when every check
 * passed, 1 when one failed; 2 for bad arguments (with the usage), such as a plain-http issuer or API
 * URL off this machine, before anything is sent. Never prints the secret, nor a control character.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { isBindIdError } from '../errors.js';
import { checkBindIdSetup } from './check-bindid-setup.js';
import { formatSetupReport, shown } from './format.js';
import type { BindIdSetupOptions } from './types.js';

/** The flags, their option and their environment variable. */
const FLAGS = [
  ['issuer', 'issuer', 'BINDID_ISSUER'],
  ['api-url', 'apiUrl', 'BINDID_API_URL'],
  ['client-id', 'clientId', 'BINDID_CLIENT_ID'],
  ['client-secret', 'clientSecret', 'BINDID_CLIENT_SECRET'],
  ['redirect-uri', 'redirectUri', 'BINDID_REDIRECT_URI'],
  ['callback-path', 'callbackPath', 'BINDID_CALLBACK_PATH'],
  ['pkce', 'pkce', 'BINDID_PKCE'],
  ['aux-link', 'auxLink', 'BINDID_AUX_LINK'],
] as const;

/** The settings that may be left out. */
const OPTIONAL: ReadonlySet<string> = new Set(['callbackPath', 'pkce', 'auxLink']);

const USAGE = `Usage: bindid-doctor [options]

Checks an app's BindID settings against BindID: discovery (issuer, endpoints, RS256 key, no
redirects, the capabilities it advertises), client authentication at the token endpoint
(client_secret_post), PKCE together with the secret, the app's /authorize request (redirects not
followed), the API host (a signed dummy report must get 401), the redirect URI's form and the local
clock. Harmless: nothing is changed at BindID. Exit code 0 when every check passes (a WARN line
included), 1 otherwise, 2 for bad settings (the issuer and the API URL must be https, or http on
localhost, 127.x.x.x or [::1]).

Options (each also read from the environment variable shown; the flag wins):
  --issuer <url>          BINDID_ISSUER         e.g. https://signin.bindid-sandbox.io
  --api-url <url>         BINDID_API_URL        e.g. https://api.bindid-sandbox.io
  --client-id <id>        BINDID_CLIENT_ID
  --client-secret <s>     BINDID_CLIENT_SECRET  (prefer the variable: flags show in the process list)
  --redirect-uri <uri>    BINDID_REDIRECT_URI   e.g. https://app.example.com/bindid/callback
  --callback-path <path>  BINDID_CALLBACK_PATH  the path of your app's callback route (default
                                                /bindid/callback, bindIdRouter's default paths.callback;
                                                give it for your own callback route or BindIdStrategy)
  --pkce <true|false>     BINDID_PKCE           the app's pkce option (default true)
  --aux-link <url>        BINDID_AUX_LINK       the app's bindid_aux_link, if it sets one
  --help                  show this help
`;

class UsageError extends Error {}

/** The options from the flags and the environment. */
function readCommandLine(argv: string[], env: NodeJS.ProcessEnv): BindIdSetupOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options = Object.fromEntries(FLAGS.map(([flag]) => [flag, { type: 'string' as const }]));
    values = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { ...options, help: { type: 'boolean' } } })
      .values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return 'help';
  const options: Record<string, string | boolean> = {};
  const missing: string[] = [];
  for (const [flag, key, variable] of FLAGS) {
    const value = values[flag] ?? env[variable];
    if (typeof value === 'string' && value !== '') options[key] = key === 'pkce' ? readPkce(value) : value;
    else if (!OPTIONAL.has(key)) missing.push(`--${flag} (or ${variable})`);
  }
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')}`);
  return options as unknown as BindIdSetupOptions;
}

/** `--pkce true|false`. */
function readPkce(value: string): boolean {
  if (value !== 'true' && value !== 'false') throw new UsageError('--pkce (or BINDID_PKCE) must be true or false');
  return value === 'true';
}

async function main(): Promise<void> {
  let options: BindIdSetupOptions | 'help';
  try {
    options = readCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bindid-doctor: ${shown(err.message)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  try {
    const report = await checkBindIdSetup(options);
    const header = `bindid-doctor: issuer ${options.issuer}, API ${options.apiUrl}, client ${options.clientId}`;
    process.stdout.write(`${shown(header)}\n\n`);
    process.stdout.write(formatSetupReport(report));
    process.exitCode = report.ok ? 0 : 1;
  } catch (err) {
    if (!isBindIdError(err)) throw err;
    process.stderr.write(`bindid-doctor: ${shown(err.message)}\n\n${USAGE}`);
    process.exitCode = 2;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bindid-doctor: ${err instanceof Error ? err.name : 'failure'}\n`);
  process.exitCode = 1;
});

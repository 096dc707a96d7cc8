#!/usr/bin/env node
/**
 * `bindid-emulator`: run the local BindID emulator from the command line.
 *
 * Prints the issuer, the API URL, the client id and the redirect URIs (the client secret only when
 * it is the default test secret), then serves until SIGTERM or SIGINT, when it closes both servers
 * and exits with code 0. Bad arguments: a message and the usage on stderr, exit code 2. A start
 * failure (port in use...): a message on stderr, exit code 1.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { isBindIdError } from '../errors.js';
import { DEFAULT_CLIENT_SECRET } from './config.js';
import { parseFaultSpec } from './faults.js';
import { createEmulator, type Emulator, type EmulatorOptions, type Fault } from './index.js';

const USAGE = `Usage: bindid-emulator [options]

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
  --fault <endpoint>=<spec>  inject a fault (repeatable). Endpoints: discovery, jwks, authorize,
                             token, userinfo, session-feedback. Spec: items joined by ":" among
                             <status>, retry-after=<seconds>, delay=<ms>, times=<n>, hang, drop.
                             Examples: session-feedback=503:retry-after=1  token=delay=2000
                                       userinfo=hang  jwks=drop  session-feedback=500:times=1
  --help                     show this help

Sign in without a browser: GET <issuer>/authorize?...&identity=<alice|bob|new|cancel>
`;

/** A command-line mistake: reported with the usage, exit code 2. */
class UsageError extends Error {}

/** What the command line asks for. */
type Command = { help: true } | { help: false; options: EmulatorOptions };

function parseCommandLine(argv: string[]): Command {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'api-port': { type: 'string' },
        host: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'alias-conflict': { type: 'string' },
        fault: { type: 'string', multiple: true },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help === true) return { help: true };

  const signinPort = parsePort('--port', values.port ?? '9080');
  const defaultApiPort = signinPort === 0 ? 0 : signinPort + 1;
  const apiPort = values['api-port'] === undefined ? defaultApiPort : parsePort('--api-port', values['api-port']);
  if (apiPort > 65535) throw new UsageError('--api-port is needed: --port + 1 is beyond 65535');

  const aliasConflict = values['alias-conflict'] ?? 'reject';
  if (aliasConflict !== 'reject' && aliasConflict !== 'allow') {
    throw new UsageError('--alias-conflict must be reject or allow');
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

function describe(emu: Emulator, options: EmulatorOptions): string {
  const secret =
    emu.clientSecret === DEFAULT_CLIENT_SECRET
      ? `${DEFAULT_CLIENT_SECRET} (default test secret)`
      : '(set with --client-secret; not shown)';
  const uris = options.redirectUris ?? [];
  const faults = Object.entries(options.faults ?? {}).map(([endpoint, fault]) => `${endpoint} ${JSON.stringify(fault)}`);
  return [
    'BindID emulator running',
    `  issuer:        ${emu.issuer}`,
    `  api:           ${emu.apiUrl}`,
    `  client id:     ${emu.clientId}`,
    `  client secret: ${secret}`,
    `  redirect URIs: ${uris.length > 0 ? uris.join(' ') : '(none: every /authorize fails; add --redirect-uri)'}`,
    ...(faults.length > 0 ? [`  faults:        ${faults.join(', ')}`] : []),
    'Stop with Ctrl+C (SIGINT) or SIGTERM.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  let command: Command;
  try {
    command = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bindid-emulator: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (command.help) {
    process.stdout.write(USAGE);
    return;
  }
  let emu: Emulator;
  try {
    emu = await createEmulator(command.options);
  } catch (err) {
    const invalidOption = isBindIdError(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`bindid-emulator: ${message}\n${invalidOption ? `\n${USAGE}` : ''}`);
    process.exitCode = invalidOption ? 2 : 1;
    return;
  }
  process.stdout.write(describe(emu, command.options));
  const stop = (signal: NodeJS.Signals): void => {
    process.stdout.write(`${signal}: closing\n`);
    setTimeout(() => process.exit(1), 5000).unref();
    emu.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`bindid-emulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

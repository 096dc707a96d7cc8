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
import { isBindIdError } from '../errors.js';
import { type Command, parseCommandLine, USAGE, UsageError } from './cli-args.js';
import { DEFAULT_CLIENT_SECRET } from './config.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './index.js';

/** What the CLI prints once both servers listen. */
function banner(emu: Emulator, options: EmulatorOptions): string {
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
  process.stdout.write(banner(emu, command.options));
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

/**
 * Leak checks for errors and logs (checklist H 61–65): find secrets in everything an app might print
 * or serialise, and report which secret leaked where, never the secret itself (the test output is a
 * log too).
 *
 * ```ts
 * const log = captureDebug();
 * const err = await rejection(client.aliasDeleted({ accessToken }));
 * log.stop();
 * expect(leaksIn(err, log.lines, { token: accessToken, secret: SECRET })).toEqual([]);
 * ```
 *
 * @module
 */
import { inspect } from 'node:util';
import { isAxiosError } from 'axios';
import createDebug from 'debug';

/** Named secret values to look for, e.g. `{ secret: SECRET, token, hmac: hmac(SECRET, token) }`. */
export type Needles = Record<string, string>;

/**
 * Capture everything the `debug` loggers under `namespaces` (default `express-bindid:*`) print, as
 * formatted lines; `entries` also names the logger of each line.
 */
export function captureDebug(namespaces = 'express-bindid:*'): {
  lines: string[];
  entries: Array<{ namespace: string; line: string }>;
  stop: () => void;
} {
  const lines: string[] = [];
  const entries: Array<{ namespace: string; line: string }> = [];
  const previousLog = createDebug.log;
  const previousNamespaces = createDebug.disable();
  createDebug.enable(namespaces);
  createDebug.log = function log(this: { namespace?: string } | undefined, ...args: unknown[]) {
    const line = args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
    lines.push(line);
    entries.push({ namespace: this?.namespace ?? '', line });
  };
  return {
    lines,
    entries,
    stop: () => {
      createDebug.log = previousLog;
      createDebug.disable();
      if (previousNamespaces) createDebug.enable(previousNamespaces);
    },
  };
}

/** `err` and its `cause` chain (at most 10 deep). */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && chain.length < 10; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (typeof e !== 'object') break;
  }
  return chain;
}

/** The renderings of an error that end up in logs and responses. */
function renderings(err: unknown): Array<[string, string]> {
  const e = err as Error;
  const out: Array<[string, string]> = [
    ['String(err)', String(err)],
    ['util.inspect(err, { depth: 10, showHidden: true })', inspect(err, { depth: 10, showHidden: true })],
  ];
  if (err instanceof Error) {
    out.push(['message', e.message], ['stack', e.stack ?? '']);
    let json: string;
    try {
      json = JSON.stringify(err) ?? '';
    } catch {
      json = '';
    }
    out.push(['JSON.stringify(err)', json]);
    for (const key of Object.getOwnPropertyNames(err)) {
      const value = (err as unknown as Record<string, unknown>)[key];
      out.push([`property \`${key}\``, typeof value === 'string' ? value : inspect(value, { depth: 10, showHidden: true })]);
    }
  }
  return out;
}

/**
 * Every leak in `err` (its cause chain, each rendered as message, stack, JSON, inspect and own
 * properties) and in `logLines`, as human-readable descriptions naming the secret, not showing it.
 * Also reports an AxiosError anywhere in the chain and any `config`/`request`/`response` property.
 * An empty array means clean.
 */
export function leaksIn(err: unknown, logLines: readonly string[], needles: Needles): string[] {
  const found: string[] = [];
  const look = (where: string, text: string) => {
    for (const [name, value] of Object.entries(needles)) {
      if (value !== '' && text.includes(value)) found.push(`${where} contains the ${name}`);
    }
  };
  causeChain(err).forEach((e, depth) => {
    const label = depth === 0 ? 'error' : `cause #${depth}`;
    if (isAxiosError(e)) found.push(`${label} is an AxiosError`);
    if (e && typeof e === 'object') {
      for (const key of ['config', 'request', 'response']) {
        if (Object.getOwnPropertyNames(e).includes(key) || key in e) found.push(`${label} has a \`${key}\` property`);
      }
    }
    for (const [where, text] of renderings(e)) look(`${label} ${where}`, text);
  });
  for (const [i, line] of logLines.entries()) look(`debug line ${i + 1}`, line);
  return found;
}

/**
 * Every leak of a named secret in labelled texts (pages, headers, `Location`, rendered models...), as
 * `"<label> contains the <name>"`. An empty array means clean.
 */
export function leaksInTexts(texts: ReadonlyArray<readonly [string, string]>, needles: Needles): string[] {
  const found: string[] = [];
  for (const [label, text] of texts) {
    for (const [name, value] of Object.entries(needles)) {
      if (value !== '' && text.includes(value)) found.push(`${label} contains the ${name}`);
    }
  }
  return found;
}

/**
 * Capture what the process prints while a test runs: every `console` method (swallowed) and
 * `process.stderr`/`process.stdout` writes (passed through), plus process warnings. `stop()` restores
 * them all. Look in `lines` with {@link leaksInTexts}.
 */
export function captureConsole(): { lines: string[]; stop: () => void } {
  const lines: string[] = [];
  const restore: Array<() => void> = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      lines.push(`console.${method}: ${args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: 10 }))).join(' ')}`);
    };
    restore.push(() => {
      console[method] = original;
    });
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      lines.push(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
      return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => {
      stream.write = original;
    });
  }
  const onWarning = (warning: Error) => lines.push(`warning: ${warning.name} ${warning.message}`);
  process.on('warning', onWarning);
  restore.push(() => process.off('warning', onWarning));
  return { lines, stop: () => {
      for (const undo of restore.splice(0)) undo();
    } };
}

/**
 * N121: the router's own form parser (confirm and cancel POSTs). body-parser errors carry the raw
 * body (`err.body = 'password=...'`); an app whose error handler logs errors would log the password.
 * The router passes a coded BindIdError instead, with nothing of the body on it, to next(err) once.
 */
import { inspect } from 'node:util';
import { gzipSync } from 'node:zlib';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import { createFlow, type Flow, useSharedEmulator } from '../helpers/flow.js';

const PASSWORD = 'hunter2-secret-do-not-log';
const form = (extra = '') => `username=alice&password=${PASSWORD}${extra}`;

/** Every string reachable from the error: message, stack, own properties, toJSON, inspect, along the cause chain. */
function everything(err: unknown): string {
  const parts: string[] = [JSON.stringify(err), inspect(err, { depth: 10, showHidden: true })];
  let current: unknown = err;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    parts.push(current.message, current.stack ?? '');
    for (const key of Object.getOwnPropertyNames(current)) {
      parts.push(key, inspect((current as unknown as Record<string, unknown>)[key], { depth: 5 }));
    }
    current = current.cause;
  }
  return parts.join('\n');
}

describe('N121 body-parser errors on the router routes carry no body', () => {
  const emulator = useSharedEmulator();
  let flow: Flow | undefined;
  const errors: unknown[] = [];
  afterEach(async () => {
    await flow?.close();
    flow = undefined;
    errors.length = 0;
  });

  it.each<[string, string, string, Record<string, string>, () => string | Buffer, number, string]>([
    ['a form over 16 kB', '/bindid/confirm', 'application/x-www-form-urlencoded', {}, () => form(`&pad=${'x'.repeat(17_000)}`), 413, ErrorCode.BODY_TOO_LARGE],
    [
      'more fields than parameterLimit (body-parser puts the raw form on its error)',
      '/bindid/confirm',
      'application/x-www-form-urlencoded',
      {},
      () => form(Array.from({ length: 25 }, (_, i) => `&f${i}=${i}`).join('')),
      400,
      ErrorCode.INVALID_BODY,
    ],
    ['an unsupported charset', '/bindid/confirm', 'application/x-www-form-urlencoded; charset=koi8-r', {}, () => form(), 415, ErrorCode.UNSUPPORTED_BODY],
    ['an unsupported content-encoding', '/bindid/confirm', 'application/x-www-form-urlencoded', { 'Content-Encoding': 'compress' }, () => form(), 415, ErrorCode.UNSUPPORTED_BODY],
    [
      'a malformed gzip body',
      '/bindid/confirm',
      'application/x-www-form-urlencoded',
      { 'Content-Encoding': 'gzip' },
      () => gzipSync(form()).subarray(0, 30),
      400,
      ErrorCode.INVALID_BODY,
    ],
    [
      'more fields than parameterLimit, on the cancel route',
      '/bindid/confirm/cancel',
      'application/x-www-form-urlencoded',
      {},
      () => form(Array.from({ length: 25 }, (_, i) => `&f${i}=${i}`).join('')),
      400,
      ErrorCode.INVALID_BODY,
    ],
  ])('N121 %s: coded error, right status, no password anywhere, next(err) once', async (_name, path, type, headers, body, status, code) => {
    flow = await createFlow({ errors, sharedEmulator: emulator() });
    const res = await flow.agent().post(path).set('Content-Type', type).set(headers).send(body());
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).not.toContain(PASSWORD);
    expect(errors).toHaveLength(1);
    const [err] = errors;
    expect(isBindIdError(err, code as never)).toBe(true);
    expect((err as { status?: number }).status).toBe(status);
    expect((err as Error).cause).toBeInstanceOf(Error);
    const text = everything(err);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('hunter2');
    expect(Object.keys(err as object)).not.toContain('body');
  });
});

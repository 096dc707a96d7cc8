/**
 * A hook that throws or rejects never breaks the flow, and is not silent either: one
 * `process.emitWarning` per hook name and error code, naming the hook, never quoting the message.
 */
import { emit, HOOK_FAILED_WARNING } from '../../src/internal/events.js';

describe('event hooks that fail', () => {
  const warnings: Array<{ message: string }> = [];
  let spy: jest.SpyInstance;
  beforeEach(() => {
    warnings.length = 0;
    spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string, options?: { code?: string }) => {
      if (options?.code === HOOK_FAILED_WARNING) warnings.push({ message });
    }) as typeof process.emitWarning);
  });
  afterEach(() => spy.mockRestore());
  // A rejected hook is handled in microtasks: by the next turn of the event loop its warning is out (no clock involved).
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it('N170 warns once per hook and code, with the hook name and the error class, never the message', async () => {
    const throwing = () => {
      throw Object.assign(new TypeError('token abc.def.ghi in the message'), { code: 'E_AUDIT' });
    };
    expect(() => emit('onLinkedTest', throwing, {})).not.toThrow();
    emit('onLinkedTest', throwing, {});
    await settle();
    expect(warnings.map((w) => w.message)).toEqual([
      "express-bindid: the onLinkedTest hook threw TypeError (E_AUDIT); the sign-in went on. Fix the hook.",
    ]);
    expect(warnings[0]?.message).not.toContain('abc.def.ghi');
  });

  it('warns for a rejected promise, and again for another hook or another code', async () => {
    emit('onDeliveredTest', () => Promise.reject(new Error('down')), {});
    emit('onDeliveredTest', () => Promise.reject(Object.assign(new Error('x'), { code: 'E_OTHER' })), {});
    emit('onRetryTest', () => Promise.reject(new Error('down')), {});
    await settle();
    expect(warnings.map((w) => w.message)).toEqual([
      'express-bindid: the onDeliveredTest hook threw Error; the sign-in went on. Fix the hook.',
      'express-bindid: the onDeliveredTest hook threw Error (E_OTHER); the sign-in went on. Fix the hook.',
      'express-bindid: the onRetryTest hook threw Error; the sign-in went on. Fix the hook.',
    ]);
  });

  it('says nothing for hooks that succeed or are not set', async () => {
    emit('onQuietTest', () => undefined, {});
    emit('onQuietTest', async () => undefined, {});
    emit('onQuietTest', undefined, {});
    await settle();
    expect(warnings).toEqual([]);
  });
});

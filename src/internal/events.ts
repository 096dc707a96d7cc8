/**
 * Event hooks (`onLinked`, `onFeedbackError`, ...): called without waiting, so a slow hook (an email)
 * never delays the sign-in; a hook that throws or rejects never breaks the flow. Its failure is
 * logged under `express-bindid:events` and reported once per hook and error code with
 * `process.emitWarning` (code `EXPRESS_BINDID_HOOK_FAILED`), so a broken audit hook does not fail
 * silently. The warning names the hook and the error's class and code, never its message (which
 * the app's code wrote and may quote the event).
 *
 * @module
 */
import { logger } from './log.js';

const log = logger('events');

/** The `code` of the warning a failing hook emits. */
export const HOOK_FAILED_WARNING = 'EXPRESS_BINDID_HOOK_FAILED';

const warned = new Set<string>();

/** Swallow, log and warn about a failure of `hook`. */
export function emit<E>(name: string, hook: ((event: E) => unknown) | undefined, event: E): void {
  if (!hook) return;
  try {
    const result = hook(event);
    if (result instanceof Promise || typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
      Promise.resolve(result).then(undefined, (err: unknown) => hookFailed(name, err));
    }
  } catch (err) {
    hookFailed(name, err);
  }
}

function hookFailed(name: string, err: unknown): void {
  log('%s hook failed', name);
  const kind = err instanceof Error ? err.name : typeof err;
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : undefined;
  const key = `${name}\u0000${code ?? kind}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(`express-bindid: the ${name} hook threw ${kind}${code ? ` (${code})` : ''}; the sign-in went on. Fix the hook.`, {
    code: HOOK_FAILED_WARNING,
  });
}

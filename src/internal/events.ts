/**
 * Event hooks are called without waiting (a slow hook never delays the sign-in), and a failing one never breaks the flow: it is
 * logged and warned about once per hook and code, so a broken audit hook does not fail silently. The warning names the error's
 * class and code, never its message (the app's code wrote it and may quote the event).
 */
import { logger } from './log.js';

const log = logger('events');

export const HOOK_FAILED_WARNING = 'EXPRESS_BINDID_HOOK_FAILED';

const warned = new Set<string>();

/** Call `hook` without waiting; swallow, log and warn about its failure. */
export function emit<E>(name: string, hook: ((event: E) => unknown) | undefined, event: E): void {
  if (!hook) return;
  try {
    const result = hook(event);
    if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') {
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
  const warning = `express-bindid: the ${name} hook threw ${kind}${code ? ` (${code})` : ''}; the sign-in went on. Fix the hook.`;
  process.emitWarning(warning, { code: HOOK_FAILED_WARNING });
}

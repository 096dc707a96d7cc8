/**
 * Event hooks (`onLinked`, `onFeedbackError`, ...): called without waiting, so a slow hook (an email)
 * never delays the sign-in; a hook that throws or rejects is logged under `express-bindid:events`
 * (its name only) and never breaks the flow.
 *
 * @module
 */
import { logger } from './log.js';

const log = logger('events');

/** Call `hook(event)` if set; swallow and log its failure. */
export function emit<E>(name: string, hook: ((event: E) => void | Promise<void>) | undefined, event: E): void {
  if (!hook) return;
  try {
    const result = hook(event);
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(undefined, () => log('%s hook failed', name));
    }
  } catch {
    log('%s hook failed', name);
  }
}

/**
 * What `RedisBindIdStore` reads of the server before its first write. Under memory pressure Redis drops keys by its `maxmemory-policy`, and
 * a dropped key of this library undoes what it enforced. Under `noeviction` a full Redis refuses writes and the library fails closed.
 */
import { BindIdArgumentError, ErrorCode } from '../errors.js';
import { logger, printable } from '../internal/log.js';
import { type Send, text } from './redis-queue.js';

const log = logger('store');

/** The code of the warning about an unsafe `maxmemory-policy`. */
export const EVICTION_WARNING = 'EXPRESS_BINDID_REDIS_EVICTION';

const SAFE = 'noeviction';
const FIX = `set maxmemory-policy ${SAFE} (CONFIG SET maxmemory-policy ${SAFE}, or in redis.conf / your provider's parameter group)`;

const warned = new Set<string>();

/** @throws BindIdArgumentError `ERR_BINDID_INVALID_OPTION` (option `client`) for `allkeys-*` in production; other unsafe policies are warned about. */
export async function checkEvictionPolicy(send: Send): Promise<void> {
  const policy = await readPolicy(send);
  if (policy === undefined || policy === SAFE) return;
  if (policy.startsWith('allkeys-')) {
    const why = `Redis's maxmemory-policy is ${policy}: under memory pressure Redis would drop any key of express-bindid (links, attempt counters, used sign-in states), undoing the limits they enforce.`;
    if (process.env.NODE_ENV === 'production') {
      throw new BindIdArgumentError(ErrorCode.INVALID_OPTION, `RedisBindIdStore: ${why} To fix it, ${FIX}; or give express-bindid its own Redis.`, {
        option: 'client',
      });
    }
    warnOnce(policy, `express-bindid: ${why} In production this is refused; ${FIX}.`);
    return;
  }
  if (policy.startsWith('volatile-')) {
    warnOnce(
      policy,
      `express-bindid: Redis's maxmemory-policy is ${policy}: under memory pressure Redis would drop keys that expire (attempt counters, used sign-in states, claims) and reopen the limits they enforce. For every guarantee to hold, ${FIX}.`,
    );
  }
}

async function readPolicy(send: Send): Promise<string | undefined> {
  let reply: unknown;
  try {
    reply = await send(['CONFIG', 'GET', 'maxmemory-policy'], undefined);
  } catch {
    log('CONFIG GET maxmemory-policy refused (managed Redis?): the eviction policy was not checked; it should be noeviction');
    return undefined;
  }
  const policy = policyIn(reply);
  if (policy === undefined) log('CONFIG GET maxmemory-policy answered something unexpected: not checked');
  else log('Redis maxmemory-policy: %s', printable(policy, 40));
  return policy;
}

/** The value in a `CONFIG GET` reply: `[name, value]` (RESP2), or a map / object (RESP3 clients). */
function policyIn(reply: unknown): string | undefined {
  const name = 'maxmemory-policy';
  const value = Array.isArray(reply) ? reply[1] : reply instanceof Map ? reply.get(name) : (reply as Record<string, unknown> | null | undefined)?.[name];
  try {
    return text(value).toLowerCase();
  } catch {
    return undefined; // not a string: unexpected
  }
}

function warnOnce(policy: string, message: string): void {
  if (!warned.has(policy)) process.emitWarning(message, { code: EVICTION_WARNING });
  warned.add(policy);
}

/** @internal Forget which policies were warned about (tests). */
export function resetEvictionWarnings(): void {
  warned.clear();
}

/**
 * Fault injection: checking {@link Fault} values (from options, `setFault`, the admin endpoint or the
 * CLI), the table of active faults, and the CLI's fault grammar.
 *
 * CLI grammar: `<endpoint>=<item>[:<item>]...`, where an item is
 * `<status>` (three digits), `retry-after=<seconds>`, `delay=<ms>`, `times=<n>`, `hang`, `drop`,
 * `after` (handle the request, then drop or answer the status instead), and for `token` only
 * `stale-auth-time=<seconds>` or `omit-auth-time` (the ID token's `auth_time` that much earlier, or none).
 * Examples: `session-feedback=503:retry-after=1`, `token=delay=2000`, `userinfo=hang`,
 * `session-feedback=500:times=1`, `session-feedback=drop:after:times=1`, `token=stale-auth-time=3600:times=1`.
 *
 * @module
 */
import type { EmulatorEndpoint, Fault } from './types.js';

/** Every endpoint a fault can be set on. */
export const ENDPOINTS: readonly EmulatorEndpoint[] = [
  'discovery',
  'jwks',
  'authorize',
  'token',
  'userinfo',
  'session-feedback',
  'custom-user-data',
];

/** Longest `delayMs`: 10 minutes. */
export const MAX_DELAY_MS = 600_000;

/** Largest `staleAuthTime`: a year, in seconds. */
export const MAX_STALE_AUTH_TIME = 31_536_000;

/** Whether `value` names an endpoint. */
export function isEndpoint(value: unknown): value is EmulatorEndpoint {
  return typeof value === 'string' && (ENDPOINTS as readonly string[]).includes(value);
}

/** A checked fault, or what is wrong with it. */
export type FaultCheck = { ok: true; fault: Fault } | { ok: false; problem: string };

const FAULT_KEYS: ReadonlySet<string> = new Set([
  'status',
  'retryAfter',
  'delayMs',
  'hang',
  'drop',
  'after',
  'times',
  'body',
  'staleAuthTime',
  'omitAuthTime',
]);

/** Check that `value` is a valid {@link Fault} for `endpoint`; return a copy of it, or the problem. */
export function checkFault(value: unknown, endpoint: EmulatorEndpoint): FaultCheck {
  const problem = faultProblem(value) ?? authTimeProblem(value as Record<string, unknown>, endpoint);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, fault: { ...(value as Fault) } };
}

/**
 * What is wrong with the ID-token faults of `fault` (`staleAuthTime`, `omitAuthTime`): they change the
 * token endpoint's real answer, so they go on `token` alone, one at a time, with no status, hang or drop.
 */
function authTimeProblem(fault: Record<string, unknown>, endpoint: EmulatorEndpoint): string | undefined {
  const { staleAuthTime, omitAuthTime } = fault;
  if (staleAuthTime === undefined && omitAuthTime !== true) return undefined;
  if (endpoint !== 'token') return 'staleAuthTime and omitAuthTime are faults of the token endpoint only';
  if (staleAuthTime !== undefined && omitAuthTime === true) return 'staleAuthTime cannot be combined with omitAuthTime';
  if (fault.status !== undefined || fault.hang === true || fault.drop === true) {
    return 'staleAuthTime and omitAuthTime change the real answer: they cannot be combined with status, hang or drop';
  }
  return undefined;
}

function faultProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a fault must be an object';
  const fault = value as Record<string, unknown>;
  const unknown = Object.keys(fault).find((key) => !FAULT_KEYS.has(key));
  if (unknown !== undefined) return `unknown fault property "${unknown}" (known: ${[...FAULT_KEYS].join(', ')})`;
  const { status, retryAfter, delayMs, hang, drop, after, times, body } = fault;
  if (status !== undefined && !isIntegerIn(status, 200, 599)) return 'status must be an integer from 200 to 599';
  if (retryAfter !== undefined && (typeof retryAfter !== 'string' || !/^[\x20-\x7e]{1,64}$/.test(retryAfter))) {
    return 'retryAfter must be 1 to 64 printable ASCII characters';
  }
  if (body !== undefined && (typeof body !== 'string' || body.length > 65536)) {
    return 'body must be a string of at most 65536 characters';
  }
  if (delayMs !== undefined && !isIntegerIn(delayMs, 0, MAX_DELAY_MS)) {
    return `delayMs must be an integer from 0 to ${MAX_DELAY_MS}`;
  }
  if (hang !== undefined && typeof hang !== 'boolean') return 'hang must be true or false';
  if (drop !== undefined && typeof drop !== 'boolean') return 'drop must be true or false';
  if (times !== undefined && !isIntegerIn(times, 1, Number.MAX_SAFE_INTEGER)) return 'times must be a positive integer';
  if (fault.staleAuthTime !== undefined && !isIntegerIn(fault.staleAuthTime, 1, MAX_STALE_AUTH_TIME)) {
    return `staleAuthTime must be an integer from 1 to ${MAX_STALE_AUTH_TIME} (seconds)`;
  }
  if (fault.omitAuthTime !== undefined && typeof fault.omitAuthTime !== 'boolean') return 'omitAuthTime must be true or false';
  if ((retryAfter !== undefined || body !== undefined) && status === undefined) {
    return 'retryAfter and body need a status';
  }
  if (hang === true && (status !== undefined || drop === true || delayMs !== undefined)) {
    return 'hang cannot be combined with status, drop or delayMs';
  }
  if (drop === true && status !== undefined) return 'drop cannot be combined with status';
  if (after !== undefined && typeof after !== 'boolean') return 'after must be true or false';
  if (after === true && status === undefined && drop !== true) return 'after needs drop or a status';
  if (status === undefined && hang !== true && drop !== true && delayMs === undefined && fault.staleAuthTime === undefined && fault.omitAuthTime !== true) {
    return 'a fault needs at least one of status, delayMs, hang, drop, staleAuthTime or omitAuthTime';
  }
  return undefined;
}

function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * Parse a CLI fault spec (see the module comment).
 *
 * @throws Error with a message saying what is wrong.
 */
export function parseFaultSpec(spec: string): { endpoint: EmulatorEndpoint; fault: Fault } {
  const equals = spec.indexOf('=');
  const endpoint = equals < 0 ? spec : spec.slice(0, equals);
  if (!isEndpoint(endpoint)) {
    throw new Error(`--fault "${spec}": the endpoint must be one of ${ENDPOINTS.join(', ')}`);
  }
  const fault: Record<string, unknown> = {};
  for (const item of equals < 0 ? [] : spec.slice(equals + 1).split(':')) {
    const [name, arg] = splitItem(item);
    if (/^\d{3}$/.test(name) && arg === undefined) fault.status = Number(name);
    else if ((name === 'hang' || name === 'drop' || name === 'after') && arg === undefined) fault[name] = true;
    else if (name === 'retry-after' && arg !== undefined && /^\d+$/.test(arg)) fault.retryAfter = arg;
    else if (name === 'delay' && arg !== undefined && /^\d+$/.test(arg)) fault.delayMs = Number(arg);
    else if (name === 'times' && arg !== undefined && /^\d+$/.test(arg)) fault.times = Number(arg);
    else if (name === 'stale-auth-time' && arg !== undefined && /^\d+$/.test(arg)) fault.staleAuthTime = Number(arg);
    else if (name === 'omit-auth-time' && arg === undefined) fault.omitAuthTime = true;
    else {
      throw new Error(
        `--fault "${spec}": unknown item "${item}" (use <status>, retry-after=<seconds>, delay=<ms>, times=<n>, hang, drop, after, stale-auth-time=<seconds> or omit-auth-time)`,
      );
    }
  }
  const checked = checkFault(fault, endpoint);
  if (!checked.ok) throw new Error(`--fault "${spec}": ${checked.problem}`);
  return { endpoint, fault: checked.fault };
}

function splitItem(item: string): [string, string | undefined] {
  const equals = item.indexOf('=');
  return equals < 0 ? [item, undefined] : [item.slice(0, equals), item.slice(equals + 1)];
}

/** The active faults, one per endpoint at most. */
export class FaultTable {
  private readonly active = new Map<EmulatorEndpoint, { fault: Fault; remaining: number }>();

  /** Set (or, with `undefined`, clear) the fault of `endpoint`. The fault must be checked already. */
  set(endpoint: EmulatorEndpoint, fault: Fault | undefined): void {
    if (fault === undefined) this.active.delete(endpoint);
    else this.active.set(endpoint, { fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
  }

  /** Clear every fault. */
  clear(): void {
    this.active.clear();
  }

  /** The fault to play on this request of `endpoint`, counting it against `times`. */
  take(endpoint: EmulatorEndpoint): Fault | undefined {
    if (this.active.size === 0) return undefined;
    const entry = this.active.get(endpoint);
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.active.delete(endpoint);
    return entry.fault;
  }
}

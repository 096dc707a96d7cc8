/**
 * The chaos run's verdict, from what the users saw, what BindID (the emulator) accepted, what the
 * instances told (dead-letter events...) and what the supervisor did.
 *
 * Per user signed in: one accepted report at BindID (`delivered`), or none and a dead-letter event
 * (`deadLettered`), or none and still queued at the end (`pending`: the outbox did not drain), or
 * none and nothing (`lost`). Two or more accepted reports are a duplicate, explained when the crash
 * window allows one (below) and unexplained otherwise. A user whose confirm answered 303 while the
 * report was neither in the outbox nor accepted by BindID before that look nor dead-lettered was
 * signed in without a persisted report (`unpersisted`).
 *
 * A duplicate is explained when every accepted report but the last is, by one of:
 * - `confirmed twice`: the user went through the confirm twice (two `linked` events: the first
 *   sign-in failed after its report was sent or queued, and the second confirm reported again);
 * - `instance killed after BindID accepted`: an instance was SIGKILLed within 2 s after an accepted
 *   report that was not the last (a worker killed between BindID's 200 and the outbox removal: the
 *   item's lease runs out and another worker sends it again);
 * - `Redis master restarting`: an accepted report (not the last) during a master's restart, up to
 *   4 s after it (the worker's removal after BindID's 200 failed, the item is sent again);
 * - `answer after the client's deadline`: the app timed out on a report BindID then accepted.
 *
 * @module
 */
import type { InstanceEvent } from '../redis/instances.js';
import type { SeenReport } from './emulator.js';
import type { Kill } from './fleet.js';
import type { UserOutcome } from './users.js';

/** What the audit reads. */
export interface AuditInput {
  users: readonly UserOutcome[];
  reports: readonly SeenReport[];
  events: readonly InstanceEvent[];
  kills: readonly Kill[];
  redisRestarts: ReadonlyArray<{ from: number; to: number }>;
  /** The aliases whose report is still in the outbox. */
  queuedAtEnd: ReadonlySet<string>;
}

/** The verdict. */
export interface Audit {
  users: number;
  signedIn: number;
  delivered: number;
  deadLettered: number;
  /** Dead-lettered users by reason (`rejected ERR_BINDID_REJECTED`, `expired`). */
  deadLetterReasons: Record<string, number>;
  pending: number;
  lost: number;
  unpersisted: number;
  duplicated: number;
  /** Explained duplicates by explanation. */
  explained: Record<string, number>;
  /** One line per problem: lost, unpersisted, pending, unexplained duplicate, accepted and dead-lettered. */
  problems: string[];
}

const KILL_WINDOW_MS = 2000;
const REDIS_WINDOW_MS = 4000;

/** Why each accepted report but the last was repeated, or undefined when one of them has no explanation. */
function explain(times: number[], events: readonly InstanceEvent[], input: AuditInput): string | undefined {
  let secondConfirms = Math.max(0, events.filter((e) => e.name === 'linked').length - 1);
  let timeouts = events.filter((e) => (e.name === 'queued' || e.name === 'retry') && e.code === 'ERR_BINDID_TIMEOUT').length;
  const reasons: string[] = [];
  for (const t of times.slice(0, -1)) {
    if (input.kills.some((k) => k.at >= t && k.at <= t + KILL_WINDOW_MS)) reasons.push('instance killed after BindID accepted');
    else if (input.redisRestarts.some((w) => t >= w.from && t <= w.to + REDIS_WINDOW_MS)) reasons.push('Redis master restarting');
    else if (secondConfirms-- > 0) reasons.push('confirmed twice');
    else if (timeouts-- > 0) reasons.push("answer after the client's deadline");
    else return undefined;
  }
  return reasons[0];
}

/** Judge the run. */
export function audit(input: AuditInput): Audit {
  const result: Audit = {
    users: input.users.length,
    signedIn: 0,
    delivered: 0,
    deadLettered: 0,
    deadLetterReasons: {},
    pending: 0,
    lost: 0,
    unpersisted: 0,
    duplicated: 0,
    explained: {},
    problems: [],
  };
  for (const user of input.users) {
    if (user.signedIn === false) continue;
    result.signedIn += 1;
    const mine = (x: { sub?: string; alias?: string }) => x.sub === user.sub && x.alias === user.alias;
    const accepted = input.reports.filter((r) => r.accepted && mine(r)).map((r) => r.at);
    const events = input.events.filter(mine);
    const deadLetters = events.filter((e) => e.name === 'dead-letter');
    const who = `user${user.n} (alias ${user.alias})`;
    if (accepted.length === 1 && deadLetters.length === 0) result.delivered += 1;
    else if (accepted.length === 0 && deadLetters.length > 0) {
      result.deadLettered += 1;
      for (const e of deadLetters) {
        const reason = [e.reason, e.code].filter(Boolean).join(' ');
        result.deadLetterReasons[reason] = (result.deadLetterReasons[reason] ?? 0) + 1;
      }
    } else if (accepted.length === 0 && input.queuedAtEnd.has(user.alias)) {
      result.pending += 1;
      result.problems.push(`${who}: signed in, the report still queued after the drain`);
    } else if (accepted.length === 0) {
      result.lost += 1;
      result.problems.push(`${who}: signed in, no accepted report, no dead-letter event, nothing queued: LOST`);
    } else if (accepted.length === 1) {
      result.problems.push(`${who}: one accepted report and a dead-letter event`);
    } else {
      result.duplicated += 1;
      const why = explain(accepted, events, input);
      if (why) result.explained[why] = (result.explained[why] ?? 0) + 1;
      else result.problems.push(`${who}: ${accepted.length} accepted reports, unexplained duplicate`);
    }
    const look = user.outboxAtSignIn;
    if (look && !look.queued && !accepted.some((t) => t <= look.at) && deadLetters.length === 0) {
      result.unpersisted += 1;
      result.problems.push(`${who}: the confirm answered 303, the report was neither queued nor accepted then`);
    }
  }
  return result;
}

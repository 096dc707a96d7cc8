/**
 * The chaos run's verdict (test/chaos/audit.ts) on made-up runs: what counts as lost, unpersisted,
 * pending, dead-lettered, and which duplicates the crash window explains. The run itself is
 * `npm run test:chaos` (real processes, Redis Cluster, minutes), not part of `npm test`.
 */
import type { InstanceEvent } from '../redis/instances.js';
import { type AuditInput, audit } from './audit.js';
import type { SeenReport } from './emulator.js';
import type { UserOutcome } from './users.js';

const T = 1_000_000;

function user(n: number, extra: Partial<UserOutcome> = {}): UserOutcome {
  return { n, sub: `sub-${n}`, alias: String(n), signedIn: 'confirm', attempts: 1, failures: [], ...extra };
}
function accepted(n: number, at: number): SeenReport {
  return { at, status: 200, accepted: true, alias: String(n), sub: `sub-${n}`, type: 'authentication_performed' };
}
function event(n: number, name: InstanceEvent['name'], extra: Partial<InstanceEvent> = {}): InstanceEvent {
  return { instance: 'app1.1', name, sub: `sub-${n}`, alias: String(n), ...extra };
}
function input(extra: Partial<AuditInput>): AuditInput {
  return { users: [], reports: [], events: [], kills: [], redisRestarts: [], queuedAtEnd: new Set(), ...extra };
}

describe('the chaos run audit', () => {
  it('one accepted report is delivered; none with a dead-letter event is dead-lettered with its reason; neither is lost', () => {
    const result = audit(
      input({
        users: [user(1), user(2), user(3), user(4, { signedIn: false })],
        reports: [accepted(1, T), { ...accepted(3, T), status: 503, accepted: false }],
        events: [event(2, 'linked', { reason: 'queued' }), event(2, 'dead-letter', { reason: 'rejected', code: 'ERR_BINDID_REJECTED' })],
      }),
    );
    expect(result).toMatchObject({ users: 4, signedIn: 3, delivered: 1, deadLettered: 1, lost: 1, duplicated: 0, pending: 0 });
    expect(result.deadLetterReasons).toEqual({ 'rejected ERR_BINDID_REJECTED': 1 });
    expect(result.problems).toEqual(['user3 (alias 3): signed in, no accepted report, no dead-letter event, nothing queued: LOST']);
  });

  it('a report accepted for another BindID user or another alias does not count for the user', () => {
    const result = audit(input({ users: [user(1)], reports: [{ ...accepted(1, T), sub: 'sub-2' }, { ...accepted(1, T), alias: '2' }] }));
    expect(result.lost).toBe(1);
  });

  it('a report still queued after the drain is pending, not lost', () => {
    const result = audit(input({ users: [user(1)], queuedAtEnd: new Set(['1']) }));
    expect(result).toMatchObject({ pending: 1, lost: 0 });
    expect(result.problems).toEqual(['user1 (alias 1): signed in, the report still queued after the drain']);
  });

  it('a confirm answered 303 while the report was neither queued nor accepted yet is unpersisted', () => {
    const result = audit(
      input({
        users: [user(1, { outboxAtSignIn: { queued: false, at: T } }), user(2, { outboxAtSignIn: { queued: false, at: T } }), user(3, { outboxAtSignIn: { queued: true, at: T } })],
        reports: [accepted(1, T + 500), accepted(2, T - 10), accepted(3, T + 500)],
      }),
    );
    expect(result).toMatchObject({ delivered: 3, unpersisted: 1 });
    expect(result.problems).toEqual(['user1 (alias 1): the confirm answered 303, the report was neither queued nor accepted then']);
  });

  it('duplicates are explained by an instance killed after an accepted report, a Redis restart, a second confirm or a late answer; any other is not', () => {
    const result = audit(
      input({
        users: [user(1), user(2), user(3), user(4), user(5), user(6)],
        reports: [1, 2, 3, 4, 5, 6].flatMap((n) => [accepted(n, T + n * 100_000), accepted(n, T + n * 100_000 + 5000)]),
        kills: [{ at: T + 100_000 + 1500, instance: 'app2.1' }, { at: T + 600_000 - 100, instance: 'app3.1' }],
        redisRestarts: [{ from: T + 200_000 - 1000, to: T + 200_000 - 500 }],
        events: [event(3, 'linked'), event(3, 'linked'), event(4, 'queued', { code: 'ERR_BINDID_TIMEOUT' }), event(5, 'linked')],
      }),
    );
    expect(result.duplicated).toBe(6);
    expect(result.explained).toEqual({
      'instance killed after BindID accepted': 1,
      'Redis master restarting': 1,
      'confirmed twice': 1,
      "answer after the client's deadline": 1,
    });
    // user5: nothing around its first acceptance; user6: the kill came before it, not after.
    expect(result.problems).toEqual([
      'user5 (alias 5): 2 accepted reports, unexplained duplicate',
      'user6 (alias 6): 2 accepted reports, unexplained duplicate',
    ]);
  });

  it('one kill explains one repeat, not every repeat of a report sent again and again', () => {
    const times = [T, T + 4000, T + 8000];
    const result = audit(
      input({ users: [user(1)], reports: times.map((t) => accepted(1, t)), kills: [{ at: T + 1000, instance: 'app1.1' }], events: [event(1, 'linked')] }),
    );
    expect(result).toMatchObject({ duplicated: 1, explained: {} });
    expect(result.problems).toEqual(['user1 (alias 1): 3 accepted reports, unexplained duplicate']);
  });
});

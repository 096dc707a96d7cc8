/**
 * The claim on a pending login in the shared store (src/confirm/confirm-claim.ts): held while a
 * confirmation reports, done once it signed in, cancelled by "not me"; each change atomic, so a cancel
 * and a confirmation that meet decide once.
 */
import type { Request } from 'express';
import { cancelClaim, cancelledMeanwhile, finishClaim, releaseClaim, takeClaim } from '../../src/confirm/confirm-claim.js';
import { ErrorCode } from '../../src/errors.js';
import type { PendingLogin } from '../../src/session/pending-login.js';
import { MemoryBindIdStore } from '../../src/stores/bindid-store.js';
import { captureDebug } from '../helpers/leaks.js';

const NOW = 1_000_000;
const pending: PendingLogin = { id: 'p1', accessToken: 't', expiresAt: NOW + 60_000, createdAt: NOW, tokenExpiresAt: NOW + 3_600_000, claims: { sub: 's' } };

describe('the claim on a pending login', () => {
  it('N124 a cancel with no confirmation running: "idle", and no confirmation can take the claim afterwards', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    expect(await cancelClaim(store, pending, NOW)).toBe('idle');
    expect(await takeClaim(store, pending, NOW)).toBe(false);
  });

  it('N124 a cancel while a confirmation reports: "in-flight", and that confirmation may not sign in; releasing keeps the mark', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    expect(await takeClaim(store, pending, NOW)).toBe(true);
    expect(await cancelClaim(store, pending, NOW)).toBe('in-flight');
    await releaseClaim(store, pending);
    expect(await finishClaim(store, pending, NOW)).toBe(false);
    expect(await takeClaim(store, pending, NOW)).toBe(false);
  });

  it('N124 a cancel after the confirmation signed in: "too-late"', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    expect(await takeClaim(store, pending, NOW)).toBe(true);
    expect(await finishClaim(store, pending, NOW)).toBe(true);
    expect(await cancelClaim(store, pending, NOW)).toBe('too-late');
  });

  it('N124 a claim released between the cancel\'s two steps is marked cancelled all the same', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    await takeClaim(store, pending, NOW);
    const setIf = store.setIf.bind(store);
    jest.spyOn(store, 'setIf').mockImplementationOnce(async (...args) => {
      await releaseClaim(store, pending); // the report failed and the confirmation gave the claim back
      return setIf(...args);
    });
    expect(await cancelClaim(store, pending, NOW)).toBe('idle');
    expect(await takeClaim(store, pending, NOW)).toBe(false);
  });

  it('a store that cannot answer after the report does not stop the sign-in', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    jest.spyOn(store, 'setIf').mockRejectedValueOnce(new Error('store down'));
    expect(await finishClaim(store, pending, NOW)).toBe(true);
  });
});

describe('N124 the claim lives as long as its pending login', () => {
  it('N124 a claim held by a confirmation keeps a second one out until the pending login expires, not a moment longer', async () => {
    let now = NOW;
    const store = new MemoryBindIdStore({ now: () => now });
    expect(await takeClaim(store, pending, now)).toBe(true);
    now = pending.expiresAt - 1;
    expect(await takeClaim(store, pending, now)).toBe(false);
    now = pending.expiresAt;
    expect(await takeClaim(store, pending, now)).toBe(true);
  });

  it('N124 a "not me" keeps every confirmation out until the pending login expires, taken late or early in its life', async () => {
    let now = NOW + 30_000;
    const store = new MemoryBindIdStore({ now: () => now });
    expect(await cancelClaim(store, pending, now)).toBe('idle');
    now = pending.expiresAt - 1;
    expect(await takeClaim(store, pending, now)).toBe(false);
    now = pending.expiresAt;
    expect(await takeClaim(store, pending, now)).toBe(true);
  });

  it('N124 at the very end of a pending login\'s life its claim still lives one second', async () => {
    let now = pending.expiresAt + 5_000;
    const store = new MemoryBindIdStore({ now: () => now });
    expect(await takeClaim(store, pending, now)).toBe(true);
    now += 999;
    expect(await takeClaim(store, pending, now)).toBe(false);
    now += 1;
    expect(await takeClaim(store, pending, now)).toBe(true);
  });

  it('N124 a finished or cancelled-in-flight claim keeps its mark until the pending login expires', async () => {
    let now = NOW;
    const store = new MemoryBindIdStore({ now: () => now });
    await takeClaim(store, pending, now);
    now = NOW + 10_000;
    expect(await finishClaim(store, pending, now)).toBe(true);
    now = pending.expiresAt - 1;
    expect(await cancelClaim(store, pending, now)).toBe('too-late');
    const other: PendingLogin = { ...pending, id: 'p2' };
    now = NOW;
    await takeClaim(store, other, now);
    now = NOW + 10_000;
    expect(await cancelClaim(store, other, now)).toBe('in-flight');
    now = pending.expiresAt - 1;
    expect(await takeClaim(store, other, now)).toBe(false);
    now = pending.expiresAt;
    expect(await takeClaim(store, other, now)).toBe(true);
  });

  it('N124 each pending login has its own claim: a cancel of one leaves another alone', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    expect(await cancelClaim(store, pending, NOW)).toBe('idle');
    expect(await takeClaim(store, { ...pending, id: 'p2' }, NOW)).toBe(true);
  });
});

describe('N124 a confirmation cancelled while BindID answered', () => {
  it('N124 a new, empty session replaces the abandoned one; 400 NO_PENDING_LOGIN tells the user the link was reported but nobody is signed in; logged under express-bindid:confirm', async () => {
    let regenerated = 0;
    const session = {
      bindid: { pending: 'abandoned' },
      regenerate(done: (err?: unknown) => void) {
        regenerated++;
        delete (session as { bindid?: unknown }).bindid;
        done();
      },
    };
    const req = { session } as unknown as Request;
    const debug = captureDebug();
    let thrown: unknown;
    try {
      await cancelledMeanwhile(req, 'sub-1').catch((err: unknown) => {
        thrown = err;
      });
    } finally {
      debug.stop();
    }
    expect(regenerated).toBe(1);
    expect(session.bindid).toEqual({});
    expect(thrown).toMatchObject({ code: ErrorCode.NO_PENDING_LOGIN, status: 400 });
    expect((thrown as Error).message).toMatch(/cancelled \("not me"\).*the link was reported, but nobody is signed in/);
    expect(debug.entries.filter((entry) => /cancelled meanwhile/.test(entry.line)).map((entry) => entry.namespace)).toEqual(['express-bindid:confirm']);
  });
});

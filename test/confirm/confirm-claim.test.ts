/**
 * The claim on a pending login in the shared store (src/confirm/confirm-claim.ts): held while a
 * confirmation reports, done once it signed in, cancelled by "not me"; each change atomic, so a cancel
 * and a confirmation that meet decide once.
 */
import { cancelClaim, finishClaim, releaseClaim, takeClaim } from '../../src/confirm/confirm-claim.js';
import type { PendingLogin } from '../../src/session/pending-login.js';
import { MemoryBindIdStore } from '../../src/stores/bindid-store.js';

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

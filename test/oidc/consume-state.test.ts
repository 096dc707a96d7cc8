/**
 * A sign-in's state (src/oidc/consume-state.ts): matched against this browser's transaction before
 * anything is consumed, then used once in the shared store, under a digest of it.
 */
import { createHash } from 'node:crypto';
import { ErrorCode } from '../../src/index.js';
import { consumeState, matchState } from '../../src/oidc/consume-state.js';
import type { AuthTransaction } from '../../src/session/pending-login.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';
import { captureDebug } from '../helpers/leaks.js';

const NOW = 1_800_000_000_000;
const tx = (state: string): AuthTransaction => ({ state, nonce: 'N'.repeat(43), codeVerifier: 'V'.repeat(43), returnTo: '/', createdAt: NOW });
const query = (params: Record<string, string>) => new URLSearchParams(params);

describe('N179 consumeState', () => {
  it('N179 each sign-in\'s state is used once, under its own key: state:<SHA-256, base64url>, never the state itself', async () => {
    const store = new KeyListingStore({ now: () => NOW });
    const a = tx('a'.repeat(43));
    const b = tx('b'.repeat(43));
    await consumeState(store, a, NOW);
    await consumeState(store, b, NOW);
    const digest = (state: string) => createHash('sha256').update(state, 'utf8').digest('base64url');
    expect(await store.keys('')).toEqual([`state:${digest(a.state)}`, `state:${digest(b.state)}`]);
    const reused = await consumeState(store, a, NOW).catch((err: Error) => err);
    expect(reused).toMatchObject({ code: ErrorCode.CALLBACK_INVALID, status: 400 });
    expect((reused as Error).message).toMatch(/already used\. Start again/);
  });

  it('N179 a reused state is logged under express-bindid:login (docs/troubleshooting.md)', async () => {
    const store = new KeyListingStore({ now: () => NOW });
    await consumeState(store, tx('c'.repeat(43)), NOW);
    const debug = captureDebug();
    try {
      await expect(consumeState(store, tx('c'.repeat(43)), NOW)).rejects.toMatchObject({ code: ErrorCode.CALLBACK_INVALID });
    } finally {
      debug.stop();
    }
    expect(debug.entries.filter((entry) => /reused the state/.test(entry.line)).map((entry) => entry.namespace)).toEqual(['express-bindid:login']);
  });
});

describe('N179 matchState: this browser\'s state, before anything is consumed', () => {
  const mine = tx('m'.repeat(43));

  it('N179 BindID\'s access_denied without a state: ERR_BINDID_ACCESS_DENIED (403), its cause access_denied', () => {
    let thrown: unknown;
    try {
      matchState(query({ error: 'access_denied' }), mine);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: ErrorCode.ACCESS_DENIED, status: 403 });
    expect(String((thrown as Error).cause)).toMatch(/access_denied/);
    expect((thrown as Error).message).toMatch(/cancelled at BindID\. Start again/);
  });

  it('N179 no state with another error, or none at all, and a foreign state: ERR_BINDID_CALLBACK_INVALID (400)', () => {
    const foreign: Array<Record<string, string>> = [{ error: 'server_error' }, {}, { state: 'x'.repeat(43) }, { state: 'x', error: 'access_denied' }, { state: '' }];
    for (const params of foreign) {
      expect(() => matchState(query(params), mine)).toThrow(
        expect.objectContaining({ code: ErrorCode.CALLBACK_INVALID, status: 400, message: expect.stringMatching(/does not belong to this browser session/) }),
      );
    }
  });

  it('N179 this browser\'s own state goes on, with or without an error to handle after it', () => {
    expect(() => matchState(query({ state: mine.state, code: 'c' }), mine)).not.toThrow();
    expect(() => matchState(query({ state: mine.state, error: 'access_denied' }), mine)).not.toThrow();
  });
});

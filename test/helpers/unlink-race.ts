/**
 * The unlink racing the owner's own re-link (pentest 2026-12-07, F7; issue 23 item 5), as one
 * scenario for any two stores that share state (two instances of the app: a memory store twice, or
 * two clients of one Redis). Instance A unlinks: BindID applies `alias_deleted`, and its answer is
 * held; meanwhile the owner links BindID again on instance B (the report accepted, the link
 * recorded); then A's answer arrives. The link must stand in the registry, as it does at BindID.
 */
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import type { Emulator } from '../../src/emulator/index.js';
import type { FeedbackResult } from '../../src/feedback/session-feedback-client.js';
import type { SessionFeedbackReport } from '../../src/feedback/session-feedback-report.js';
import type { UnlinkResult } from '../../src/confirm/unlink-bindid.js';
import { type BindIdStore, SessionFeedbackClient, unlinkBindId } from '../../src/index.js';
import { mintLogin } from './flow.js';

/** A client whose answer is held (after BindID applied the report) until `release()`. */
class HeldClient extends SessionFeedbackClient {
  #release: () => void = () => {};
  readonly #held = new Promise<void>((resolve) => {
    this.#release = resolve;
  });
  #applied: () => void = () => {};
  /** Resolves once BindID applied the report (its answer is then held). */
  readonly applied = new Promise<void>((resolve) => {
    this.#applied = resolve;
  });

  release(): void {
    this.#release();
  }

  override async send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    const result = await super.send(accessToken, report);
    this.#applied();
    await this.#held;
    return result;
  }
}

export interface RaceResult {
  unlink: UnlinkResult;
  /** The alias BindID holds for the identity afterwards. */
  atBindId: string | undefined;
  /** Whether the registry (read on either instance) still links the pair. */
  linkedOnA: boolean;
  linkedOnB: boolean;
}

/** `identity` linked as `alias`, unlinked on A while the owner re-links on B (when `relink`). */
export async function unlinkRacingRelink(
  emulator: Emulator,
  stores: { a: BindIdStore; b: BindIdStore },
  { identity, alias, relink }: { identity: string; alias: string; relink: boolean },
): Promise<RaceResult> {
  const sub = emulator.subOf(identity) as string;
  const options = { clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, retries: 0, circuitBreaker: false as const };
  const plain = new SessionFeedbackClient(options);
  const held = new HeldClient(options);
  try {
    emulator.setAlias(sub, alias);
    await new LinkRegistry(stores.b).record(alias, sub);
    const startedAt = Date.now();
    const fresh = await mintLogin(emulator, identity);
    const unlinking = unlinkBindId({ client: held, store: stores.a, accessToken: fresh.accessToken, claims: fresh.claims, expectedAlias: alias, startedAt });
    await held.applied; // BindID deleted the alias; the unlink waits for its answer
    if (relink) {
      // The owner's confirmation on B, as confirmPendingLogin does it: reserve, report, record.
      const registryB = new LinkRegistry(stores.b);
      await registryB.reserve(alias, sub);
      const again = await mintLogin(emulator, identity);
      await plain.send(again.accessToken, { type: 'authentication_performed', alias, time: Math.floor(Date.now() / 1000) });
      await registryB.record(alias, sub);
    }
    held.release();
    const unlink = await unlinking;
    return {
      unlink,
      atBindId: emulator.aliasOf(sub),
      linkedOnA: await new LinkRegistry(stores.a).isLinked(alias, sub),
      linkedOnB: await new LinkRegistry(stores.b).isLinked(alias, sub),
    };
  } finally {
    held.release();
    held.close();
    plain.close();
  }
}

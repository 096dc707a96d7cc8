/**
 * The chaos run's BindID: the emulator in its own process (forked by `emulator.ts` under
 * `node --import tsx`), with one known identity per user (`chaos-<n>`, `1 ≤ n ≤ CHAOS_USERS`), none
 * of them with an alias yet: each one's first sign-in is a new BindID user.
 *
 * It tells the parent over IPC when it listens (`{ type: 'ready', issuer, apiUrl, clientId,
 * clientSecret, subs }`), then every session-feedback request it received (`{ type: 'reports',
 * reports }`, every 100 ms). The emulator keeps only its last 1,000 received reports, so each batch
 * is read and cleared in one synchronous step: nothing is counted twice or missed, whatever the
 * run's size. Faults are set by the parent through the admin endpoint (`POST /__emulator/faults`).
 * It closes on `disconnect`.
 *
 * @module
 */
import { createEmulator } from '../../src/emulator/index.js';

const users = Number(process.env.CHAOS_USERS);
const redirectUri = process.env.CHAOS_REDIRECT_URI;
if (!Number.isSafeInteger(users) || users < 1 || !redirectUri) throw new Error('CHAOS_USERS and CHAOS_REDIRECT_URI must be set');

const identities = Array.from({ length: users }, (_, i) => ({ id: `chaos-${i + 1}` }));
const emulator = await createEmulator({ redirectUris: [redirectUri], identities });

const subs: Record<string, string> = {};
for (const { id } of identities) subs[id] = emulator.subOf(id) as string;

function flush(): void {
  const received = emulator.reports();
  emulator.clearReports();
  if (received.length === 0 || !process.connected) return;
  const reports = received.map(({ at, status, accepted, alias, sub, type, error }) => ({ at, status, accepted, alias, sub, type, error }));
  process.send?.({ type: 'reports', reports });
}
const timer = setInterval(flush, 100);

process.send?.({
  type: 'ready',
  issuer: emulator.issuer,
  apiUrl: emulator.apiUrl,
  clientId: emulator.clientId,
  clientSecret: emulator.clientSecret,
  subs,
});

process.on('message', (message: { type?: string }) => {
  if (message?.type === 'flush') {
    flush();
    process.send?.({ type: 'flushed' });
  }
});

process.on('disconnect', async () => {
  clearInterval(timer);
  await emulator.close();
  process.exit(0);
});

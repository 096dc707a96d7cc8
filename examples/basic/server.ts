/**
 * `npm start`: the example app on http://localhost:3000 with an embedded BindID emulator on the next
 * two ports (`PORT=4000 npm start`: the app on 4000, the emulator on 4001 and 4002). Nothing leaves
 * this machine.
 *
 * Environment: PORT (default 3000), HOST (default localhost), BINDID_PENDING_TTL_SECONDS (time to
 * confirm a new BindID user, 10 to 3600, default 600; the browser test shortens it to see the
 * expired page), BINDID_FAILURE_MODE (`open` to sign users in and queue the report while BindID is
 * down; default `closed`).
 */
import { createEmulator } from 'express-bindid/emulator';
import { createApp } from './app.js';
import { UserStore } from './users.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? 'localhost';
const baseUrl = `http://${host}:${port}`;

const DEMO_USER = 'demo';
const DEMO_PASSWORD = 'correct horse battery staple';
/**
 * examples/basic/journey.sh's own account: each account links one BindID identity, so the script
 * must not confirm with `demo`, which a walk through the example by hand has linked already.
 */
const JOURNEY_USER = 'journey';
const JOURNEY_PASSWORD = 'journey-script-password';

async function main(): Promise<void> {
  const users = new UserStore();
  await users.add(DEMO_USER, DEMO_PASSWORD, 'Demo User');
  await users.add(JOURNEY_USER, JOURNEY_PASSWORD, 'Journey Script');

  const emulator = await createEmulator({
    redirectUris: [`${baseUrl}/bindid/callback`],
    signinPort: port + 1,
    apiPort: port + 2,
  });
  const app = createApp({
    issuer: emulator.issuer,
    apiUrl: emulator.apiUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl,
    sessionSecret: process.env.SESSION_SECRET ?? 'example-only-session-secret-change-me',
    users,
    bindid: {
      ...(process.env.BINDID_PENDING_TTL_SECONDS ? { pendingTtlSeconds: Number(process.env.BINDID_PENDING_TTL_SECONDS) } : {}),
      ...(process.env.BINDID_FAILURE_MODE === 'open'
        ? {
            failureMode: 'open' as const,
            onReportQueued: ({ code }) => console.log(`BindID down (${code}): report queued, user signed in`),
            outboxWorker: {
              onDelivered: () => console.log('queued BindID report delivered'),
              onDeadLetter: ({ reason }) => console.log(`queued BindID report dead-lettered (${reason})`),
            },
          }
        : {}),
    },
  });
  const server = app.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => {
    console.log(`
express-bindid example
  Open:            ${baseUrl}/
  Demo user:       ${DEMO_USER}
  Demo password:   ${DEMO_PASSWORD}
  BindID emulator: ${emulator.issuer} (API ${emulator.apiUrl})

Click "Sign in with BindID", pick "New BindID user", then confirm once with the demo password.
Next time, pick "Sign in again as" that user: BindID alone signs you in. Ctrl+C stops everything.`);
  });

  const stop = () => {
    server.close();
    server.closeAllConnections();
    emulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('The example could not start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

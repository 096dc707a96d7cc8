/**
 * `npx tsx examples/passport-strategy/server.ts`: the Passport-strategy example on
 * http://localhost:3000 with an embedded BindID emulator on the next two ports. Nothing leaves this
 * machine. Environment: PORT (default 3000), HOST (default localhost).
 */
import { createEmulator } from 'express-bindid/emulator';
import { UserStore } from '../basic/users.js';
import { createPassportStrategyApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? 'localhost';
const baseUrl = `http://${host}:${port}`;

const DEMO_USER = 'demo';
const DEMO_PASSWORD = 'correct horse battery staple';

async function main(): Promise<void> {
  const users = new UserStore();
  await users.add(DEMO_USER, DEMO_PASSWORD, 'Demo User');
  const emulator = await createEmulator({
    redirectUris: [`${baseUrl}/bindid/callback`],
    signinPort: port + 1,
    apiPort: port + 2,
  });
  const app = createPassportStrategyApp({
    issuer: emulator.issuer,
    apiUrl: emulator.apiUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl,
    sessionSecret: process.env.SESSION_SECRET ?? 'example-only-session-secret-change-me',
    users,
  });
  const server = app.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => {
    console.log(`
express-bindid example: BindIdStrategy (passport.authenticate('bindid'))
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

/**
 * `npx tsx examples/own-callback/server.ts`: the own-callback example on http://localhost:3000 with
 * an embedded BindID emulator. Start at http://localhost:3000/auth/bindid.
 */
import { createEmulator } from 'express-bindid/emulator';
import { UserStore } from '../basic/users.js';
import { createOwnCallbackApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const baseUrl = `http://localhost:${port}`;

const users = new UserStore();
await users.add('demo', 'correct horse battery staple', 'Demo User');
const emulator = await createEmulator({
  redirectUris: [`${baseUrl}/auth/bindid/callback`],
  signinPort: port + 1,
  apiPort: port + 2,
});
const app = createOwnCallbackApp({
  issuer: emulator.issuer,
  apiUrl: emulator.apiUrl,
  clientId: emulator.clientId,
  clientSecret: emulator.clientSecret,
  baseUrl,
  sessionSecret: 'example-only-session-secret-change-me',
  users,
});
const server = app.listen(port, '127.0.0.1', () => {
  console.log(`Open ${baseUrl}/auth/bindid (demo / correct horse battery staple). Ctrl+C stops.`);
});
process.once('SIGINT', () => {
  server.close();
  server.closeAllConnections();
  void emulator.close();
});

/**
 * `express-bindid/testing`: test an app that uses express-bindid with supertest, against a local
 * BindID (the emulator, on 127.0.0.1), in Jest, Vitest or `node:test`. The helpers follow the app's
 * real redirects and forms, so a test walks the journey a browser does, and they refuse to talk to
 * anything but the emulator they started.
 *
 * ```ts
 * import request from 'supertest';
 * import { confirmWithPassword, signInWithBindId, startTestBindId, type TestBindId } from 'express-bindid/testing';
 * import { createApp } from './app.js';
 *
 * let bindid: TestBindId;
 * beforeAll(async () => {
 *   bindid = await startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback' });
 * });
 * afterAll(() => bindid.close());
 *
 * it('links a new BindID user to an account once', async () => {
 *   const agent = request.agent(createApp({ ...bindid.options, baseUrl: 'http://localhost:3000' }));
 *   const callback = await signInWithBindId(agent, bindid, { identity: 'alice' });
 *   expect(callback.headers.location).toBe('/bindid/confirm');
 *   await confirmWithPassword(agent, bindid, { username: 'demo', password: 'demo-password' });
 *   expect(bindid.reports()).toHaveLength(1);
 * });
 * ```
 *
 * @module express-bindid/testing
 */
export { confirmWithPassword } from './confirm-with-password.js';
export { mintPendingLogin, signInWithBindId } from './sign-in.js';
export { startTestBindId } from './start-test-bindid.js';
export type {
  ConfirmWithPasswordInput,
  MintedPendingLogin,
  MintPendingLoginOptions,
  SignInWithBindIdOptions,
  TestAgent,
  TestBindId,
  TestBindIdCredentials,
  TestBindIdFaultKind,
  TestBindIdFaultOptions,
  TestBindIdOptions,
  TestRequest,
  TestResponse,
} from './types.js';

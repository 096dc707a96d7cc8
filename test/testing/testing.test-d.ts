/**
 * Type tests of `express-bindid/testing` (checked by `tsc -p tsconfig.json`, never run): supertest's
 * agent is a `TestAgent` without casts, and the helpers resolve with supertest's own `Response`.
 */
import express from 'express';
import { expectTypeOf } from 'expect-type';
import request from 'supertest';
import {
  confirmWithPassword,
  type MintedPendingLogin,
  mintPendingLogin,
  signInWithBindId,
  startTestBindId,
  type TestAgent,
  type TestBindId,
  type TestBindIdOptions,
} from '../../src/testing/index.js';
import type { StorePendingLoginInput } from '../../src/session/pending-login.js';

declare const bindid: TestBindId;
const agent = request.agent(express());

expectTypeOf(agent).toMatchTypeOf<TestAgent>();
expectTypeOf(signInWithBindId(agent, bindid)).resolves.toEqualTypeOf<request.Response>();
expectTypeOf(confirmWithPassword(agent, bindid, { username: 'u', password: 'p' })).resolves.toEqualTypeOf<request.Response>();
expectTypeOf(startTestBindId).returns.resolves.toEqualTypeOf<TestBindId>();
expectTypeOf(mintPendingLogin(bindid)).resolves.toEqualTypeOf<MintedPendingLogin>();
// A minted login is what storePendingLogin takes.
expectTypeOf<MintedPendingLogin>().toMatchTypeOf<StorePendingLoginInput>();

// The credentials spread into the app's options.
expectTypeOf(bindid.options).toEqualTypeOf<Readonly<{ issuer: string; apiUrl: string; clientId: string; clientSecret: string }>>();

// The emulator's redirectUris are not an option (redirectUri is), and redirectUri is required.
const options: TestBindIdOptions = { redirectUri: 'http://localhost:3000/bindid/callback', emulator: { clientId: 'my-app' } };
startTestBindId(options);
// @ts-expect-error redirectUris is set from redirectUri
startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback', emulator: { redirectUris: [] } });
// @ts-expect-error redirectUri is required
startTestBindId({});
// @ts-expect-error unknown kind
bindid.fail('broken');
// @ts-expect-error unknown endpoint
bindid.fail('down', { endpoint: 'logout' });
// @ts-expect-error a password is required
confirmWithPassword(agent, bindid, { username: 'u' });
// @ts-expect-error not an agent
signInWithBindId({ get: () => 1 }, bindid);

/**
 * Argument validation of `express-bindid/testing`: a bad argument is a `BindIdArgumentError`
 * naming the helper and the argument, raised before any request.
 */
import { Server } from 'node:net';
import express from 'express';
import request from 'supertest';
import { BindIdArgumentError } from '../../src/errors.js';
import {
  confirmWithPassword,
  mintPendingLogin,
  signInWithBindId,
  startTestBindId,
  type TestBindId,
} from '../../src/testing/index.js';

const REDIRECT = 'http://localhost:3000/bindid/callback';
let bindid: TestBindId;
beforeAll(async () => {
  bindid = await startTestBindId({ redirectUri: REDIRECT });
});
afterAll(() => bindid.close());

/** An app that counts its requests (none must arrive for a bad argument). */
function countingApp(): { agent: ReturnType<typeof request.agent>; hits: string[] } {
  const hits: string[] = [];
  const app = express();
  app.use((req, res) => {
    hits.push(req.path);
    res.sendStatus(404);
  });
  return { agent: request.agent(app), hits };
}

const argumentError = (message: RegExp) => expect.objectContaining({ code: 'ERR_BINDID_INVALID_ARGUMENT', message: expect.stringMatching(message) });

describe('startTestBindId', () => {
  it.each([
    [undefined, /option `redirectUri` is required/],
    [{}, /option `redirectUri` is required, for example http:\/\/localhost:3000\/bindid\/callback/],
    [{ redirectUri: '/bindid/callback' }, /option `redirectUri` must be an absolute http\(s\) URL/],
    [{ redirectUri: 'ftp://localhost/cb' }, /option `redirectUri` must be an absolute http\(s\) URL/],
    [{ redirectUri: `${REDIRECT}#x` }, /without a fragment/],
    [{ redirectUri: REDIRECT, emulator: { redirectUris: [REDIRECT] } }, /option `emulator.redirectUris` is set by startTestBindId from `redirectUri`/],
    [{ redirectUri: REDIRECT, emulator: 'fast' }, /option `emulator` must be an object/],
    [{ redirectUri: REDIRECT, redirectUrl: REDIRECT }, /option `redirectUrl` is not a known option. Did you mean `redirectUri`\?/],
    [{ redirectUri: REDIRECT, emulator: { clientId: 42 } }, /startTestBindId\(\) option `emulator.clientId`/],
  ])('refuses %j with ERR_BINDID_INVALID_OPTION naming the option', async (options, message) => {
    const failure = startTestBindId(options as never);
    await expect(failure).rejects.toBeInstanceOf(BindIdArgumentError);
    await expect(failure).rejects.toEqual(expect.objectContaining({ code: 'ERR_BINDID_INVALID_OPTION', message: expect.stringMatching(message) }));
  });

  it('N164 refuses an emulator host that is not loopback', async () => {
    const started = startTestBindId({ redirectUri: REDIRECT, emulator: { host: '0.0.0.0' } });
    // Had it started, close it (so a regression fails this test instead of hanging the run).
    started.then((b) => b.close(), () => undefined);
    await expect(started).rejects.toThrow(/option `emulator.host` must be a loopback interface/);
  });

  it.each(['0.0.0.0', '::', '192.0.2.1', 'example.com'])('N183 refuses emulator host %s before anything listens (issue 23 item 6f)', async (host) => {
    const listen = jest.spyOn(Server.prototype, 'listen');
    try {
      const started = startTestBindId({ redirectUri: REDIRECT, emulator: { host } });
      started.then((b) => b.close(), () => undefined);
      await expect(started).rejects.toThrow(/option `emulator.host` must be a loopback interface/);
      expect(listen).not.toHaveBeenCalled();
    } finally {
      listen.mockRestore();
    }
  });

  it('hands the other emulator options over (client id, identities)', async () => {
    const custom = await startTestBindId({ redirectUri: REDIRECT, emulator: { clientId: 'my-app', identities: [{ id: 'zoe' }] } });
    try {
      expect(custom.options).toEqual({ issuer: custom.issuer, apiUrl: custom.apiUrl, clientId: 'my-app', clientSecret: custom.clientSecret });
      expect(Object.isFrozen(custom.options)).toBe(true);
      expect(custom.emulator.subOf('zoe')).toEqual(expect.any(String));
      expect(custom.redirectUri).toBe(REDIRECT);
    } finally {
      await custom.close();
    }
  });
});

describe('TestBindId.fail', () => {
  it.each([
    ['broken', undefined, /kind must be one of 'down', 'slow', 'unauthorized'/],
    ['down', { endpoint: 'logout' }, /options.endpoint must be one of discovery, jwks, authorize, token, userinfo, session-feedback/],
    ['down', { delayMs: 10 }, /options.delayMs is only for 'slow'/],
    ['slow', { delayMs: -1 }, /options.delayMs must be a whole number of ms from 0 to 600000/],
    ['slow', { delayMs: 1.5 }, /options.delayMs must be a whole number/],
    ['slow', { delay: 10 }, /options take only `endpoint` and `delayMs`/],
    ['down', 'token', /options must be an object/],
  ])('fail(%j, %j) is refused', (kind, options, message) => {
    expect(() => bindid.fail(kind as never, options as never)).toThrow(argumentError(message));
    expect(bindid.emulator.reports()).toEqual([]);
  });
});

describe('signInWithBindId', () => {
  it.each([
    ['agent', () => signInWithBindId({} as never, bindid), /signInWithBindId\(\): agent must be a supertest agent, request.agent\(app\) \(got object\)/],
    ['bindid', (agent: never) => signInWithBindId(agent, bindid.emulator as never), /bindid must be the TestBindId that startTestBindId\(\) resolved with/],
    ['bindid', (agent: never) => signInWithBindId(agent, undefined as never), /bindid must be the TestBindId .* \(got undefined\)/],
    ['options', (agent: never) => signInWithBindId(agent, bindid, { user: 'x' } as never), /options has an unknown property \(known: identity, loginPath, returnTo\)/],
    ['options.identity', (agent: never) => signInWithBindId(agent, bindid, { identity: 'new' }), /options.identity must be a name of 1 to 64 letters/],
    ['options.identity', (agent: never) => signInWithBindId(agent, bindid, { identity: 'two words' }), /options.identity must be a name/],
    ['options.identity', (agent: never) => signInWithBindId(agent, bindid, { identity: 7 as never }), /options.identity .* \(got number\)/],
    ['options.loginPath', (agent: never) => signInWithBindId(agent, bindid, { loginPath: 'http://localhost:3000/login/bindid' }), /options.loginPath must be a path of the app/],
    ['options.loginPath', (agent: never) => signInWithBindId(agent, bindid, { loginPath: '//evil.example/x' }), /options.loginPath must be a path of the app/],
    ['options.returnTo', (agent: never) => signInWithBindId(agent, bindid, { returnTo: 5 as never }), /options.returnTo must be a string/],
  ])('a bad %s is refused before any request', async (_name, call, message) => {
    const { agent, hits } = countingApp();
    await expect(call(agent as never)).rejects.toEqual(argumentError(message));
    expect(hits).toEqual([]);
  });
});

describe('confirmWithPassword', () => {
  it.each([
    ['credentials', (agent: never) => confirmWithPassword(agent, bindid, undefined as never), /credentials must be an object \{ username, password \} \(got undefined\)/],
    ['credentials.username', (agent: never) => confirmWithPassword(agent, bindid, { password: 'p' } as never), /credentials.username must be a string \(got undefined\)/],
    ['credentials.password', (agent: never) => confirmWithPassword(agent, bindid, { username: 'u', password: 42 } as never), /credentials.password must be a string \(got number\)/],
    ['credentials.path', (agent: never) => confirmWithPassword(agent, bindid, { username: 'u', password: 'p', path: 'bindid/confirm' }), /credentials.path must be a path of the app such as \/bindid\/confirm/],
    ['credentials.csrfField', (agent: never) => confirmWithPassword(agent, bindid, { username: 'u', password: 'p', csrfField: '' }), /credentials.csrfField must be a non-empty string/],
    ['agent', () => confirmWithPassword(null as never, bindid, { username: 'u', password: 'p' }), /agent must be a supertest agent, request.agent\(app\) \(got null\)/],
  ])('a bad %s is refused before any request', async (_name, call, message) => {
    const { agent, hits } = countingApp();
    await expect(call(agent as never)).rejects.toEqual(argumentError(message));
    expect(hits).toEqual([]);
  });
});

describe('mintPendingLogin', () => {
  it.each([
    [() => mintPendingLogin({ issuer: 'https://signin.bindid.io' } as never), /mintPendingLogin\(\): bindid must be the TestBindId/],
    [() => mintPendingLogin({ ...bindid.options, redirectUri: REDIRECT, emulator: null } as never), /bindid must be the TestBindId .* \(got object\)/],
    [() => mintPendingLogin(bindid, { identity: 'cancel' }), /mintPendingLogin\(\): options.identity must be a name/],
    [() => mintPendingLogin(bindid, 'alice' as never), /mintPendingLogin\(\): options must be an object \(got string\)/],
    [() => mintPendingLogin(bindid, { identity: 'a', email: 'x' } as never), /options has an unknown property \(known: identity\)/],
  ])('%# a bad argument is refused', async (call, message) => {
    await expect(call()).rejects.toEqual(argumentError(message));
  });
});

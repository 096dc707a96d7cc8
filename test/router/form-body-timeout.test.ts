/**
 * The router's POST routes (confirm, cancel, unlink) read their form within 10 s of the parser
 * starting, not Node's 300 s: a client that sends the headers and then stalls or trickles the body
 * gets `ERR_BINDID_BODY_TIMEOUT` (408) through next(err) once, the rest of the body is never read
 * (the connection closes after the answer), no password is checked and nothing is counted. A body
 * that completes just before the deadline is read as usual.
 *
 * On the fake clock (test/helpers/fake-clock.ts): the body is sent over a real loopback connection
 * in parts, and only the test moves time.
 */
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { CookieAccessInfo } from 'cookiejar';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import { BODY_TIMEOUT_MS, formBodyParser } from '../../src/router/form-body-parser.js';
import { settlesAt, turns, until, useFakeClock, watch } from '../helpers/fake-clock.js';
import { APP_ORIGIN, type Agent, atConfirmPage, createFlow, type Flow, useSharedEmulator, whoami } from '../helpers/flow.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';

useFakeClock();

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A POST whose body is sent in parts: `Content-Length` announces all of it, `send` writes the next part. */
interface SlowPost {
  readonly answer: Promise<Answer>;
  /** Resolves when the connection has closed (whoever closed it). */
  readonly closed: Promise<void>;
  send(part: string): void;
  /** Give up: close the connection. */
  abort(): void;
}

function slowPost(port: number, path: string, cookie: string, body: string): SlowPost {
  const req = http.request({
    host: '127.0.0.1',
    port,
    path,
    method: 'POST',
    agent: false,
    headers: { cookie, origin: APP_ORIGIN, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
  });
  const closed = new Promise<void>((resolve) => req.on('socket', (socket) => socket.on('close', () => resolve())));
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
  });
  req.flushHeaders();
  answer.catch(() => undefined); // an aborted request's answer is not looked at
  return { answer, closed, send: (part) => req.write(part), abort: () => req.destroy() };
}

/** The `Cookie` header the agent's jar sends to the app. */
function cookieOf(agent: Agent): string {
  const jar = (agent as unknown as { jar: { getCookies(access: CookieAccessInfo): Array<{ name: string; value: string }> } }).jar;
  return jar
    .getCookies(CookieAccessInfo.All)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

describe('N193 the router reads a form for at most 10 s', () => {
  const emulator = useSharedEmulator();
  const verifyCalls: string[] = [];
  const errors: unknown[] = [];
  /** The app's last request, as its server received it. */
  let received: IncomingMessage | undefined;
  /** When set, the app's error handler waits for `release()` before answering. */
  let hold: { release?: () => void; calls: number } | undefined;
  let store: KeyListingStore;
  let flow: Flow;
  let server: http.Server;
  let port: number;
  beforeEach(async () => {
    verifyCalls.length = 0;
    errors.length = 0;
    hold = undefined;
    store = new KeyListingStore();
    flow = await createFlow({
      sharedEmulator: emulator(),
      verifyCalls,
      errors,
      router: { store },
      configure: (app) =>
        app.use((req, _res, next) => {
          received = req;
          next();
        }),
      afterRouter: (app) =>
        app.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => {
          if (hold === undefined) return next(err);
          hold.calls += 1;
          hold.release = () => next(err);
        }),
    });
    server = flow.app.listen(0, '127.0.0.1');
    await until(() => server.listening, 'the app listens');
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await flow.close();
  });

  /** Start `path`'s POST with the first `part` characters of `body`, and wait until its parser's deadline is set. */
  async function stalled(agent: Agent, path: string, body: string, part: number): Promise<{ post: SlowPost; since: number }> {
    const timers = jest.getTimerCount();
    const post = slowPost(port, path, cookieOf(agent), body);
    post.send(body.slice(0, part));
    await until(() => jest.getTimerCount() === timers + 1, "the form parser's deadline is set");
    return { post, since: jest.now() };
  }

  it('N193 a confirm POST whose body stalls after its headers: 408 ERR_BINDID_BODY_TIMEOUT at 10 s, next(err) once, no password checked, nothing counted, the rest never read', async () => {
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    const body = new URLSearchParams(fields).toString();
    const { post, since } = await stalled(agent, '/bindid/confirm', body, body.length - 5);

    const answer = await settlesAt(watch(post.answer), BODY_TIMEOUT_MS, since);
    expect({ status: answer.status, code: JSON.parse(answer.body).code }).toEqual({ status: 408, code: ErrorCode.BODY_TIMEOUT });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).not.toContain(fields.password as string);
    expect(errors).toHaveLength(1);
    expect(isBindIdError(errors[0], ErrorCode.BODY_TIMEOUT)).toBe(true);
    expect(errors[0]).toMatchObject({ status: 408, cause: expect.any(Error) });

    post.send(body.slice(-5)); // the rest, too late: the server closed the connection and never reads it
    await post.closed;
    await turns();
    expect(received?.complete).toBe(false);
    expect(errors).toHaveLength(1);
    expect(verifyCalls).toEqual([]);
    expect(await store.keys('attempts:')).toEqual([]);
    expect(emulator().reports()).toEqual([]);
    // The pending login is intact: the same form, sent whole, confirms.
    const confirmed = await agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send(fields);
    expect(confirmed.status).toBe(303);
    expect((await whoami(agent)).user?.username).toBe(fields.username);
  });

  it('N193 once the deadline passed, what the client still sends is not read from the socket, even before the app has answered', async () => {
    hold = { calls: 0 };
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    const body = new URLSearchParams(fields).toString();
    const { post } = await stalled(agent, '/bindid/confirm', body, body.length - 5);
    await jest.advanceTimersByTimeAsync(BODY_TIMEOUT_MS);
    await until(() => hold?.release !== undefined, 'the error reached the app');
    post.send(body.slice(-5));
    await turns(20); // the rest is in the server's socket buffer by now: unread, the request is incomplete
    expect(received?.complete).toBe(false);
    hold.release?.();
    const answer = await post.answer;
    expect({ status: answer.status, connection: answer.headers.connection }).toEqual({ status: 408, connection: 'close' });
    await post.closed;
    expect(received?.complete).toBe(false);
    expect(verifyCalls).toEqual([]);
  });

  it('N193 a client that gives up after the deadline, before the app has answered: the error reaches next(err) once all the same', async () => {
    hold = { calls: 0 };
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    const body = new URLSearchParams(fields).toString();
    const { post } = await stalled(agent, '/bindid/confirm', body, 10);
    await jest.advanceTimersByTimeAsync(BODY_TIMEOUT_MS);
    await until(() => hold?.release !== undefined, 'the error reached the app');
    post.abort();
    await turns(20); // the server reads nothing more from the socket: it learns of the close when it answers
    hold.release?.();
    await until(() => received?.socket.destroyed === true, 'the server saw the connection close');
    await turns(20);
    expect({ held: hold.calls, handled: errors.length }).toEqual({ held: 1, handled: 1 });
    expect(verifyCalls).toEqual([]);
  });

  it('N193 a body that trickles in over the deadline times out too: each byte on time does not extend it', async () => {
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    const body = new URLSearchParams(fields).toString();
    const { post, since } = await stalled(agent, '/bindid/confirm', body, 1);
    const answer = watch(post.answer);
    for (let sent = 1; sent < 10; sent++) {
      await jest.advanceTimersByTimeAsync(999);
      post.send(body.charAt(sent));
      await turns();
    }
    expect(answer.settled).toBe(false);
    expect((await settlesAt(answer, BODY_TIMEOUT_MS, since)).status).toBe(408);
    expect(verifyCalls).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  it('N193 a body that completes just before the deadline is read: the confirmation goes through, and the deadline passing later does nothing', async () => {
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    const body = new URLSearchParams(fields).toString();
    const { post } = await stalled(agent, '/bindid/confirm', body, body.length - 5);
    await jest.advanceTimersByTimeAsync(BODY_TIMEOUT_MS - 1);
    post.send(body.slice(-5));
    const answer = await post.answer;
    expect({ status: answer.status, location: answer.headers.location }).toEqual({ status: 303, location: '/' });
    expect(verifyCalls).toEqual([fields.username]);
    await jest.advanceTimersByTimeAsync(BODY_TIMEOUT_MS);
    await turns();
    expect(errors).toEqual([]);
    expect(emulator().reports().map((r) => r.accepted)).toEqual([true]);
  });

  it.each(['/bindid/confirm/cancel', '/bindid/unlink'])('N193 the form of %s stalled: 408 ERR_BINDID_BODY_TIMEOUT at 10 s, and the route does not run', async (path) => {
    const agent = flow.agent();
    const { csrf } = await atConfirmPage(agent);
    const body = `_csrf=${encodeURIComponent(csrf)}`;
    const { post, since } = await stalled(agent, path, body, 3);
    const answer = await settlesAt(watch(post.answer), BODY_TIMEOUT_MS, since);
    expect({ status: answer.status, code: JSON.parse(answer.body).code }).toEqual({ status: 408, code: ErrorCode.BODY_TIMEOUT });
    expect(errors).toHaveLength(1);
    expect(((await whoami(agent)).session as { bindid?: { pending?: unknown } }).bindid?.pending).toBeDefined(); // not cancelled
  });
});

describe('N193 the form parser alone', () => {
  it('N193 a request that errors after the deadline (the client gone) adds no second next(err)', async () => {
    const socket = new PassThrough();
    const req = Object.assign(new PassThrough(), {
      method: 'POST',
      url: '/bindid/confirm',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '100' },
      complete: false,
      socket,
    });
    const headers: Record<string, string> = {};
    const res = {
      headersSent: false,
      set: (name: string, value: string) => {
        headers[name] = value;
      },
    };
    const next = jest.fn();
    formBodyParser()(req as unknown as Request, res as unknown as Response, next);
    req.write('username=alice&pass');
    await turns();
    await jest.advanceTimersByTimeAsync(BODY_TIMEOUT_MS - 1);
    expect(next).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(next.mock.calls).toEqual([[expect.objectContaining({ code: ErrorCode.BODY_TIMEOUT, status: 408 })]]);
    expect({ paused: req.isPaused(), socketPaused: socket.isPaused(), connection: headers.Connection }).toEqual({ paused: true, socketPaused: true, connection: 'close' });
    // The client gone: raw-body calls back with the error, and body-parser passes it on once the request is finished.
    req.emit('error', Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    req.emit('aborted');
    socket.destroy();
    req.destroy();
    await turns();
    expect(next).toHaveBeenCalledTimes(1);
  });
});

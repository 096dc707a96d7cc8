/**
 * `DEBUG=express-bindid:*` tells a whole journey one line per step, as docs/troubleshooting.md lists
 * them, and never a secret: the journey runs with `debug` enabled for `express-bindid:*` and its
 * lines captured (`debug.log`). Every line of the app's side (the emulator's own lines aside) must be
 * one of the documented lines, in the order of the journey's steps; no line may hold the client
 * secret, an access token, an HMAC or a password.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import createDebug from 'debug';
import { SessionFeedbackClient } from '../../src/index.js';
import { feedbackAuthValue } from '../../src/feedback/index.js';
import {
  APP_ORIGIN,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  pendingAccessToken,
  submitConfirm,
  USERS,
} from '../helpers/flow.js';

/** The documented lines: the `express-bindid:<area> <message>` column of the table under DEBUG_HEADING. */
const DEBUG_HEADING = '## What `DEBUG=express-bindid:*` shows';

function documentedLines(): string[] {
  const lines = readFileSync(join(__dirname, '../../docs/troubleshooting.md'), 'utf8').split('\n');
  const at = lines.indexOf(DEBUG_HEADING);
  if (at < 0) throw new Error(`docs/troubleshooting.md has no heading ${DEBUG_HEADING}`);
  const rows: string[] = [];
  for (let i = at + 1; i < lines.length && !lines[i]?.startsWith('## '); i++) {
    const cell = /^\| `(express-bindid:[^`]+)` \|/.exec(lines[i] ?? '');
    if (cell) rows.push(cell[1] as string);
  }
  return rows;
}

/** A documented line as a pattern: `<placeholder>` stands for any text. */
function pattern(line: string): RegExp {
  const parts = line.split(/<[^>]+>/).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+?')}$`);
}

/** The lines not yet read by {@link steps}, and every line of the file's journeys. */
const captured: string[] = [];
const everything: string[] = [];
const originalLog = createDebug.log;

beforeAll(() => {
  createDebug.enable('express-bindid:*');
  createDebug.log = (...args: unknown[]) => {
    // Whatever debug put around it (date or colours, `+Nms`): keep `express-bindid:<area> <message>`.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
    const text = format(...args).replace(/\u001b\[[0-9;]*m/g, '');
    const start = text.indexOf('express-bindid:');
    const line = text.slice(start).replace(/ \+\d+m?s$/, '').trim();
    captured.push(line);
    everything.push(line);
  };
});

afterAll(() => {
  createDebug.disable();
  createDebug.log = originalLog;
});

/** The captured lines of the app's side since the last call, each as the documented line it is. */
function steps(documented: string[]): string[] {
  const lines = captured.splice(0).filter((line) => !line.startsWith('express-bindid:emulator'));
  return lines.map((line) => {
    const matches = documented.filter((doc) => pattern(doc).test(line));
    if (matches.length !== 1) return `UNDOCUMENTED: ${line}`;
    return matches[0] as string;
  });
}

describe('DEBUG=express-bindid:* during whole journeys', () => {
  const documented = documentedLines();
  const needles: string[] = [];
  let flow: Flow;
  let openFlow: Flow;

  beforeAll(async () => {
    flow = await createFlow({ emulator: { aliasConflict: 'allow' } });
    // One attempt per report (no retries), so that BindID being down is one line.
    openFlow = await createFlow({
      emulator: { aliasConflict: 'allow' },
      router: (emulator) => ({
        failureMode: 'open',
        outboxWorker: { start: false },
        client: new SessionFeedbackClient({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, retries: 0 }),
      }),
    });
    needles.push(flow.emulator.clientSecret, openFlow.emulator.clientSecret, ...USERS.slice(0, 2).map((u) => u.password), 'not-the-password');
  });
  afterAll(async () => {
    await flow.close();
    await openFlow.close();
  });

  /** Sign in with BindID as `identity`, unknown to the app: the confirm page; the pending access token joins the needles. */
  async function toConfirmPage(f: Flow, identity: string): Promise<{ agent: ReturnType<Flow['agent']>; csrf: string }> {
    f.emulator.setAlias(f.emulator.subOf(identity) ?? '', undefined);
    const agent = f.agent();
    await bindIdSignIn(agent, identity);
    const token = await pendingAccessToken(agent);
    needles.push(token, feedbackAuthValue(f.emulator.clientSecret, token));
    const { csrf } = await confirmPage(agent);
    return { agent, csrf };
  }

  it('new user: login, callback, confirm page, wrong password, right password, report sent; then the returning user', async () => {
    captured.length = 0;
    const { agent, csrf } = await toConfirmPage(flow, 'alice');
    expect((await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'not-the-password' })).status).toBe(401);
    expect((await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'alice-password' })).status).toBe(303);
    expect(steps(documented)).toEqual([
      'express-bindid:login sign-in started: to BindID',
      'express-bindid:login callback: token exchange done, ID token valid (sub <sub>)',
      'express-bindid:login callback: new BindID user, pending login stored',
      'express-bindid:login confirm page shown',
      'express-bindid:confirm confirm attempt refused: wrong username or password (attempt <n> of <max> for this sign-in)',
      'express-bindid:confirm confirm attempt accepted: password checked',
      'express-bindid:feedback <type> accepted: HTTP <status> after <n> attempt(s) in <ms> ms',
      'express-bindid:confirm linked BindID sub <sub> (HTTP <status>, <n> attempt(s))',
    ]);

    await bindIdSignIn(flow.agent(), 'alice');
    expect(steps(documented)).toEqual([
      'express-bindid:login sign-in started: to BindID',
      'express-bindid:login callback: token exchange done, ID token valid (sub <sub>)',
      'express-bindid:login callback: returning user recognised by alias',
    ]);
  });

  it('"This is not me": the cancel', async () => {
    const { agent, csrf } = await toConfirmPage(flow, 'bob');
    captured.length = 0;
    const cancel = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(cancel.status).toBe(303);
    expect(steps(documented)).toEqual(['express-bindid:login pending login cancelled ("not me"); confirmation: <outcome>']);
  });

  it('fail-open: BindID down, the report queued, then delivered by the worker', async () => {
    const { agent, csrf } = await toConfirmPage(openFlow, 'alice');
    captured.length = 0;
    openFlow.emulator.setFault('session-feedback', { status: 503 });
    expect((await submitConfirm(agent, { _csrf: csrf, username: 'alice', password: 'alice-password' })).status).toBe(303);
    expect(steps(documented)).toEqual([
      'express-bindid:confirm confirm attempt accepted: password checked',
      'express-bindid:feedback <type> attempt <n>: <outcome>',
      'express-bindid:confirm fail-open: report for sub <sub> queued (<new or already queued>)',
      'express-bindid:confirm linked BindID sub <sub>; report queued (fail-open)',
    ]);

    openFlow.emulator.clearFaults();
    expect(await openFlow.router?.outboxWorker?.runOnce()).toMatchObject({ delivered: 1 });
    expect(steps(documented)).toEqual([
      'express-bindid:feedback <type> accepted: HTTP <status> after <n> attempt(s) in <ms> ms',
      'express-bindid:outbox outbox item <id>: delivered (HTTP <status>, attempt <n>)',
      'express-bindid:outbox outbox run: <n> delivered, <n> retried, <n> dead-lettered, <n> skipped, <n> failed',
    ]);
  });

  it('no line holds the client secret, an access token, an HMAC or a password', () => {
    expect(everything.length).toBeGreaterThan(15);
    expect(needles.length).toBeGreaterThanOrEqual(9);
    for (const needle of needles) {
      expect(everything.filter((line) => line.includes(needle))).toEqual([]);
    }
  });
});

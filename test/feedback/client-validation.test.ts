/**
 * Input validation of the report methods (checklist I 73–76): every bad input is a coded
 * `BindIdArgumentError`, delivered as a rejected promise (never a synchronous throw), before any
 * I/O: the fake BindID receives nothing.
 */
import { ErrorCode, type SessionFeedbackClient } from '../../src/index.js';
import { BindIdArgumentError } from '../../src/errors.js';
import { MAX_ALIAS_LENGTH } from '../../src/feedback/assert-alias.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../../src/feedback/signing.js';
import { FakeBindId } from '../helpers/fake-bindid.js';
import { closeClients, makeClient, newToken, rejection } from '../helpers/feedback.js';

let bindid: FakeBindId;
let client: SessionFeedbackClient;
beforeAll(async () => {
  bindid = await FakeBindId.start();
  client = makeClient(bindid.url);
});
afterAll(async () => {
  closeClients();
  await bindid.close();
});
afterEach(() => {
  // Every test here must be refused before any I/O.
  expect(bindid.requests).toEqual([]);
});

type Call = (input: unknown) => Promise<unknown>;
const methods: Array<[string, Call]> = [
  ['authenticationPerformed', (i) => client.authenticationPerformed(i as never)],
  ['aliasUpdated', (i) => client.aliasUpdated(i as never)],
  ['aliasDeleted', (i) => client.aliasDeleted(i as never)],
];

/** Call, check the call itself did not throw, and return the rejection's error. */
async function refused(call: () => Promise<unknown>): Promise<BindIdArgumentError> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = call();
  }).not.toThrow(); // a Promise-returning method must reject, not throw
  const err = await rejection(promise as Promise<unknown>);
  expect(err).toBeInstanceOf(BindIdArgumentError);
  return err as BindIdArgumentError;
}

const badTokens: Array<[string, unknown]> = [
  ['I73 CR', 'abc\rdef'],
  ['I73 LF', 'abc\ndef'],
  ['I73 CRLF + header', 'abc\r\nX-Evil: 1'],
  ['I73 NUL', 'abc\u0000def'],
  ['I74 semicolon', 'abc;def'],
  ['I74 space', 'abc def'],
  ['I74 comma', 'abc,def'],
  ['I74 double quote', 'abc"def'],
  ['I74 non-ASCII', 'abcédef'],
  ['I74 non-Latin-1', 'abc\u2028def'],
  ['I75 empty', ''],
  ['I75 too long', 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH + 1)],
  ['I75 number', 42],
  ['I75 array', ['abc']],
  ['I75 null', null],
  ['I75 undefined', undefined],
];

describe('a bad access token is ERR_BINDID_INVALID_ARGUMENT before any I/O', () => {
  describe.each(methods)('%s', (_name, call) => {
    it.each(badTokens)('%s', async (_what, accessToken) => {
      const err = await refused(() => call({ accessToken, alias: 'a' }));
      expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(err.message).toMatch(/accessToken/);
    });
  });
  it.each(badTokens)('%s, through send()', async (_what, accessToken) => {
    const err = await refused(() => client.send(accessToken as string, { type: 'alias_deleted', time: 1 }));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
  it(`I75 accepts a token of exactly ${MAX_ACCESS_TOKEN_LENGTH} characters (boundary)`, async () => {
    const local = await FakeBindId.start();
    try {
      await makeClient(local.url).aliasDeleted({ accessToken: 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH) });
      expect(local.requests).toHaveLength(1);
    } finally {
      await local.close();
    }
  });
});

const badAliases: Array<[string, unknown]> = [
  ['empty', ''],
  ['too long', 'a'.repeat(MAX_ALIAS_LENGTH + 1)],
  ['LF', 'a\nb'],
  ['NUL', 'a\u0000b'],
  ['DEL', 'a\u007fb'],
  ['C1 control', 'a\u0085b'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', 'a\udc00'],
  ['leading space', ' a'],
  ['number', 42],
  ['object', { id: 1 }],
  ['null', null],
];

describe('a bad alias is ERR_BINDID_INVALID_ALIAS before any I/O', () => {
  describe.each(methods)('%s', (name, call) => {
    it.each(badAliases)('%s', async (_what, alias) => {
      const err = await refused(() => call({ accessToken: newToken(), alias }));
      expect(err.code).toBe(ErrorCode.INVALID_ALIAS);
    });
    if (name !== 'aliasDeleted') {
      it('missing', async () => {
        expect((await refused(() => call({ accessToken: newToken() }))).code).toBe(ErrorCode.INVALID_ALIAS);
      });
    }
  });
});

const badTimes: Array<[string, unknown]> = [
  ['float', 1_700_000_000.5],
  ['negative', -1],
  ['string', '1700000000'],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['unsafe integer', 2 ** 53],
  ['Date', new Date()],
  ['null', null],
];

describe('a bad time is ERR_BINDID_INVALID_ARGUMENT before any I/O', () => {
  describe.each(methods)('%s', (_name, call) => {
    it.each(badTimes)('%s', async (_what, time) => {
      const err = await refused(() => call({ accessToken: newToken(), alias: 'a', time }));
      expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(err.message).toMatch(/time/);
    });
  });
  it('a clock that returns garbage is refused too', async () => {
    const broken = makeClient(bindid.url, { now: () => Number.NaN });
    expect((await refused(() => broken.aliasDeleted({ accessToken: newToken() }))).code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
});

describe('a bad amr is ERR_BINDID_INVALID_ARGUMENT before any I/O', () => {
  it.each<[string, unknown]>([
    ['a string', 'pwd'],
    ['a number inside', [1]],
    ['an empty value', ['']],
    ['a space', ['a b']],
    ['non-ASCII', ['pwdé']],
    ['a 65-character value', ['a'.repeat(65)]],
    ['17 values', Array.from({ length: 17 }, () => 'pwd')],
    ['null', null],
  ])('%s', async (_what, amr) => {
    const err = await refused(() => client.authenticationPerformed({ accessToken: newToken(), alias: 'a', amr } as never));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
    expect(err.message).toMatch(/amr/);
  });
});

describe('the input object itself', () => {
  describe.each(methods)('%s', (_name, call) => {
    it.each<[string, unknown]>([
      ['null', null],
      ['undefined', undefined],
      ['a string', 'token'],
      ['an array', [newToken(), 'a']],
    ])('%s is refused', async (_what, input) => {
      expect((await refused(() => call(input))).code).toBe(ErrorCode.INVALID_ARGUMENT);
    });
    it('an unknown key is refused and named', async () => {
      const err = await refused(() => call({ accessToken: newToken(), alias: 'a', aliass: 'b' }));
      expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(err.message).toContain('`aliass`');
    });
  });
  it('amr is unknown to aliasUpdated', async () => {
    const err = await refused(() => client.aliasUpdated({ accessToken: newToken(), alias: 'a', amr: ['pwd'] } as never));
    expect(err.message).toContain('`amr`');
  });
  it('an unknown key is named without its control characters (no forged log lines)', async () => {
    const err = await refused(() => client.aliasDeleted({ accessToken: newToken(), 'x\nFAKE LOG LINE': 1 } as never));
    expect(err.message).not.toMatch(/[\r\n]/);
  });
});

describe('send() checks the report it is given', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['an array', [{ type: 'alias_deleted', time: 1 }]],
    ['an unknown type', { type: 'alias_created', alias: 'a', time: 1 }],
    ['an unknown field', { type: 'alias_updated', alias: 'a', time: 1, extra: 'x' }],
    ['amr on alias_updated', { type: 'alias_updated', alias: 'a', time: 1, amr: ['pwd'] }],
    ['a missing time', { type: 'alias_updated', alias: 'a' }],
  ])('%s is ERR_BINDID_INVALID_ARGUMENT', async (_what, report) => {
    const err = await refused(() => client.send(newToken(), report as never));
    expect(err.code).toBe(ErrorCode.INVALID_ARGUMENT);
  });
  it('a missing alias on authentication_performed is ERR_BINDID_INVALID_ALIAS', async () => {
    const err = await refused(() => client.send(newToken(), { type: 'authentication_performed', time: 1 } as never));
    expect(err.code).toBe(ErrorCode.INVALID_ALIAS);
  });
});

describe('valid edge values are accepted', () => {
  it.each<[string, Record<string, unknown>]>([
    ['a 256-character alias', { alias: 'a'.repeat(MAX_ALIAS_LENGTH) }],
    ['a non-ASCII alias with a surrogate pair', { alias: 'Zoë-😀' }],
    ['time 0', { alias: 'a', time: 0 }],
    ['an empty amr', { alias: 'a', amr: [] }],
  ])('%s', async (_what, extra) => {
    const local = await FakeBindId.start();
    try {
      await makeClient(local.url).authenticationPerformed({ accessToken: newToken(), ...extra } as never);
      expect(local.requests).toHaveLength(1);
    } finally {
      await local.close();
    }
  });
});

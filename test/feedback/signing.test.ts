import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ErrorCode, isBindIdError } from '../../src/index.js';
import { authorizationHeader, feedbackAuthValue } from '../../src/feedback/index.js';
import { MAX_ACCESS_TOKEN_LENGTH } from '../../src/feedback/signing.js';

/** Rows of a vectors file: [client_secret, access_token, authorization_header]. */
function readVectors(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .slice(1)
    .map((line) => line.split('\t'));
}

const fixture = path.join(__dirname, '..', 'fixtures', 'authorization-header.tsv');
// The shared copy sits beside the repository on the developers' machines, not in CI.
const shared = path.join(__dirname, '..', '..', '..', 'shared', 'vectors', 'authorization-header.tsv');

function expectInvalidArgument(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isBindIdError(thrown, ErrorCode.INVALID_ARGUMENT)).toBe(true);
}

describe('authorizationHeader matches the reference vectors byte for byte', () => {
  const rows = readVectors(fixture);
  it('has the three reference rows', () => {
    expect(rows).toHaveLength(3);
  });
  it.each(rows)('secret %j, token %j', (secret, token, header) => {
    expect(authorizationHeader(secret as string, token as string)).toBe(header);
  });
  if (existsSync(shared)) {
    it('every row of ../shared/vectors also matches (drift check)', () => {
      for (const [secret, token, header] of readVectors(shared)) {
        expect(authorizationHeader(secret as string, token as string)).toBe(header);
      }
    });
  }
});

describe('feedbackAuthValue', () => {
  it('I69 is RFC 4231 case 2 in standard padded base64', () => {
    expect(feedbackAuthValue('Jefe', 'what do ya want for nothing?')).toBe('W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=');
  });
  it('I70 keys the HMAC with the UTF-8 bytes of a non-ASCII secret, standard alphabet, padded', () => {
    expect(feedbackAuthValue('sécret-ü', 'abc.DEF-123_~+/=')).toBe('L13UfvSawJQHcB48UAZb5o5xv2rH4HHs5fE5DZ/4XSs=');
  });
  it('I70 is not the base64url, Latin-1-key or trailing-newline variants', () => {
    const value = feedbackAuthValue('sécret-ü', 'abc.DEF-123_~+/=');
    expect(value).not.toContain('_');
    expect(value).not.toBe('QQwissV75G3q7jZdavKKMam/x7UWchGhdfk4dB7Im7A=');
    expect(value).not.toBe('krlyRXAoQRwxlNo/5az+1tVLONoosm0nfqCPnM3r7PQ=');
  });
});

describe('bad input is a typed error before anything is built', () => {
  const badTokens: Array<[string, unknown]> = [
    ['I75 empty', ''],
    ['I73 CR in the', 'abc\rdef'],
    ['I73 LF in the', 'abc\ndef'],
    ['I73 NUL in the', 'abc\u0000def'],
    ['I73 tab in the', 'abc\tdef'],
    ['I73 DEL in the', 'abc\u007fdef'],
    ['I74 semicolon in the', 'abc;def'],
    ['I74 space in the', 'abc def'],
    ['I74 comma in the', 'abc,def'],
    ['I74 double quote in the', 'abc"def'],
    ['I74 non-ASCII in the', 'abcédef'],
    ['I74 emoji in the', 'abc😀'],
    ['I74 = in the middle of the', 'ab=cd'],
    ['I75 too long', 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH + 1)],
    ['I75 number as', 42],
    ['I75 array as', ['abc']],
    ['I75 object as', { token: 'abc' }],
    ['I75 null as', null],
    ['I75 undefined as', undefined],
  ];
  it.each(badTokens)('%s token', (_name, token) => {
    expectInvalidArgument(() => authorizationHeader('secret', token as string));
  });
  it.each(badTokens.filter(([, t]) => typeof t !== 'string' || t === '' || t.length > MAX_ACCESS_TOKEN_LENGTH))(
    '%s token: feedbackAuthValue rejects it too',
    (_name, token) => {
      expectInvalidArgument(() => feedbackAuthValue('secret', token as string));
    },
  );
  it.each([
    ['empty', ''],
    ['number', 1],
    ['undefined', undefined],
    ['null', null],
  ])('secret: %s', (_name, secret) => {
    expectInvalidArgument(() => authorizationHeader(secret as string, 'token'));
    expectInvalidArgument(() => feedbackAuthValue(secret as string, 'token'));
  });
  it('each refusal says what is wrong and what is allowed, without the value', () => {
    const message = (run: () => unknown) => {
      try {
        run();
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a throw');
    };
    expect(message(() => authorizationHeader('secret', 'abc;def'))).toMatch(/allowed: A-Z a-z 0-9 - \. _ ~ \+ \/ and trailing =/);
    expect(message(() => authorizationHeader(1 as unknown as string, 'token'))).toMatch(/clientSecret must be a string \(got number\)/);
    expect(message(() => authorizationHeader('', 'token'))).toMatch(/clientSecret must not be empty/);
  });
  it('I75 accepts a token of exactly the maximum length', () => {
    expect(authorizationHeader('s', 'a'.repeat(MAX_ACCESS_TOKEN_LENGTH))).toMatch(/^BindIdBackend AccessToken a+; /);
  });
  it('never repeats the token or the secret in the message', () => {
    const token = 'super;secret-token';
    try {
      authorizationHeader('the-client-secret', token);
      throw new Error('expected a throw');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('super');
      expect(String((err as Error).stack)).not.toContain('the-client-secret');
    }
  });
});

/** The parser of the emulator side: `BindIdBackend AccessToken <token>; <hmac>`. */
function parseHeader(header: string): { token: string; hmac: string } | undefined {
  const match = /^BindIdBackend AccessToken ([^;\s]+); ([A-Za-z0-9+/]+=*)$/.exec(header);
  return match ? { token: match[1] as string, hmac: match[2] as string } : undefined;
}

describe('properties (fast-check)', () => {
  const b64char = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split(''));
  const validToken = fc
    .tuple(fc.string({ unit: b64char, minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 3 }))
    .map(([body, pad]) => body + '='.repeat(pad));

  it('any valid token gives a header that parses back to the token and an HMAC that verifies', () => {
    fc.assert(
      fc.property(validToken, fc.string({ minLength: 1, maxLength: 64 }), (token, secret) => {
        const parsed = parseHeader(authorizationHeader(secret, token));
        expect(parsed?.token).toBe(token);
        expect(parsed?.hmac).toBe(createHmac('sha256', Buffer.from(secret, 'utf8')).update(token, 'utf8').digest('base64'));
      }),
      { numRuns: 500 },
    );
  });

  it('any token outside the b64token alphabet throws the typed error', () => {
    const invalid = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 64 })
      .filter((t) => !/^[A-Za-z0-9\-._~+/]+=*$/.test(t));
    fc.assert(
      fc.property(invalid, (token) => {
        expectInvalidArgument(() => authorizationHeader('secret', token));
      }),
      { numRuns: 500 },
    );
  });
});

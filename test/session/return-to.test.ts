/**
 * sanitizeReturnTo's bounds and fallbacks (test/security/g-return-to.test.ts has the attack payloads,
 * here are the edges a mutation run found unpinned: the default fallback, the length bound before
 * and after normalisation, and a path that normalises to a protocol-relative one).
 */
import { sanitizeReturnTo } from '../../src/session/return-to.js';

const APP = 'https://app.example.com';
const path = (length: number, tail = '') => `/${'a'.repeat(length - 1 - tail.length)}${tail}`;

describe('sanitizeReturnTo', () => {
  it('falls back to / when no fallback is given', () => {
    expect(sanitizeReturnTo('https://evil.example/', APP)).toBe('/');
    expect(sanitizeReturnTo('', APP)).toBe('/');
  });

  it('keeps a path of exactly 2,048 characters and refuses one of 2,049', () => {
    expect(sanitizeReturnTo(path(2048), APP, '/home')).toBe(path(2048));
    expect(sanitizeReturnTo(path(2049), APP, '/home')).toBe('/home');
  });

  it('bounds the raw value before parsing it: 2,049 characters that would normalise to /ok are refused', () => {
    const long = `/${'a/../'.repeat(410)}ok`;
    expect(long.length).toBeGreaterThan(2048);
    expect(new URL(long, APP).pathname).toBe('/ok');
    expect(sanitizeReturnTo(long, APP, '/home')).toBe('/home');
  });

  it('bounds the normalised path too: a quote becomes %22, so 2,046 characters can grow to 2,048 (kept) and 2,047 to 2,049 (refused)', () => {
    expect(sanitizeReturnTo(path(2046, '"'), APP, '/home')).toBe(`${path(2046, '"').slice(0, -1)}%22`);
    expect(sanitizeReturnTo(path(2046, '"'), APP, '/home')).toHaveLength(2048);
    expect(sanitizeReturnTo(path(2047, '"'), APP, '/home')).toBe('/home');
  });

  it('refuses a path whose dot segments normalise it to a protocol-relative URL (/.//evil.example)', () => {
    expect(sanitizeReturnTo('/.//evil.example/account', APP, '/home')).toBe('/home');
  });
});

/**
 * The link registry (src/confirm/link-registry.ts): one BindID user ↔ one account, in the shared
 * store. What an app or an attacker meets: which reservations are refused (409), what a release or
 * an unlink leaves in the store, and what self-heal takes for a link.
 */
import { createHash } from 'node:crypto';
import { LINK_RESERVATION_TTL_MS, LinkRegistry } from '../../src/confirm/link-registry.js';
import { ErrorCode, MemoryBindIdStore } from '../../src/index.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';

const NOW = 1_700_000_000_000;
const sha = (value: string) => createHash('sha256').update(value).digest('base64url');
const aliasKey = (alias: string) => `link:alias:${sha(alias)}`;
const subKey = (sub: string) => `link:sub:${sha(sub)}`;

function registry(now = () => NOW) {
  const store = new KeyListingStore({ now });
  return { store, links: new LinkRegistry(store) };
}

describe('LinkRegistry.reserve', () => {
  it('N132 reserves both keys, as digests (no alias or sub in the store), for LINK_RESERVATION_TTL_MS; a second reservation of the same pair is granted and creates nothing', async () => {
    let now = NOW;
    const { store, links } = registry(() => now);
    const first = await links.reserve('acct-1', 'sub-1');
    expect(first.created).toEqual([
      [subKey('sub-1'), `reserved:${sha('acct-1')}`],
      [aliasKey('acct-1'), `reserved:${sha('sub-1')}`],
    ]);
    expect(await store.keys('link:')).toEqual([subKey('sub-1'), aliasKey('acct-1')]);
    expect(await links.reserve('acct-1', 'sub-1')).toEqual({ created: [] });
    expect(await links.isLinked('acct-1', 'sub-1')).toBe(false); // a reservation is no link
    now = NOW + LINK_RESERVATION_TTL_MS - 1;
    expect(await store.keys('link:')).toHaveLength(2);
    now = NOW + LINK_RESERVATION_TTL_MS;
    expect(await store.keys('link:')).toEqual([]);
  });

  it('N132 another account for a linked BindID user, or another BindID user for a linked account: ERR_BINDID_ALREADY_LINKED (409), and the refused reservation leaves nothing behind', async () => {
    const { store, links } = registry();
    await links.record('acct-1', 'sub-1');
    for (const [alias, sub] of [
      ['acct-2', 'sub-1'],
      ['acct-1', 'sub-2'],
    ] as const) {
      await expect(links.reserve(alias, sub)).rejects.toMatchObject({
        code: ErrorCode.ALREADY_LINKED,
        status: 409,
        message: expect.stringMatching(/already linked to another BindID identity.*this BindID identity to another account/),
      });
    }
    // Only the recorded pair's keys remain: the sub key of acct-1/sub-2 was created, then released.
    expect(await store.keys('link:')).toEqual([aliasKey('acct-1'), subKey('sub-1')]);
    expect(await store.get(subKey('sub-2'))).toBeUndefined();
    await expect(links.reserve('acct-2', 'sub-2')).resolves.toMatchObject({ created: expect.any(Array) });
  });

  it('N132 two pairs that cross (acct-1/sub-2 while acct-2/sub-1 is reserved) are refused', async () => {
    const { links } = registry();
    await links.reserve('acct-1', 'sub-1');
    await expect(links.reserve('acct-2', 'sub-1')).rejects.toMatchObject({ code: ErrorCode.ALREADY_LINKED });
    await expect(links.reserve('acct-1', 'sub-2')).rejects.toMatchObject({ code: ErrorCode.ALREADY_LINKED });
  });

  it('N132 a re-link of a recorded pair is granted', async () => {
    const { links } = registry();
    await links.record('acct-1', 'sub-1');
    expect(await links.reserve('acct-1', 'sub-1')).toEqual({ created: [] });
    expect(await links.isLinked('acct-1', 'sub-1')).toBe(true);
  });

  it('N132 a key that expires between the add and the read is tried again, three times in all, then refused', async () => {
    const store = new MemoryBindIdStore({ now: () => NOW });
    let adds = 0;
    store.add = async () => {
      adds++;
      return false;
    };
    store.get = async () => undefined;
    await expect(new LinkRegistry(store).reserve('acct-1', 'sub-1')).rejects.toMatchObject({ code: ErrorCode.ALREADY_LINKED, status: 409 });
    expect(adds).toBe(3);
  });

  it('N132 a key freed on the second try is reserved', async () => {
    const { store, links } = registry();
    const add = store.add.bind(store);
    let adds = 0;
    jest.spyOn(store, 'add').mockImplementation(async (key, value, ttl) => (++adds === 1 ? false : add(key, value, ttl)));
    const reservation = await links.reserve('acct-1', 'sub-1');
    expect(reservation.created.map(([key]) => key)).toEqual([subKey('sub-1'), aliasKey('acct-1')]);
  });

  it('N132 a store error while reserving is thrown as is, and what was created is released', async () => {
    const { store, links } = registry();
    const add = store.add.bind(store);
    const down = new Error('store down');
    jest.spyOn(store, 'add').mockImplementation(async (key, value, ttl) => {
      if (key.startsWith('link:alias:')) throw down;
      return add(key, value, ttl);
    });
    await expect(links.reserve('acct-1', 'sub-1')).rejects.toBe(down);
    expect(await store.keys('link:')).toEqual([]);
  });
});

describe('LinkRegistry.release, record, forget', () => {
  it('N132 release frees only the keys its reservation created, and only while they still hold its value', async () => {
    const { store, links } = registry();
    const reservation = await links.reserve('acct-1', 'sub-1');
    const again = await links.reserve('acct-1', 'sub-1'); // created nothing
    await links.release(again);
    expect(await store.keys('link:')).toHaveLength(2);
    await store.set(aliasKey('acct-1'), 'recorded-meanwhile');
    await links.release(reservation);
    expect(await store.keys('link:')).toEqual([aliasKey('acct-1')]);
  });

  it('N132 record writes the link over the reservation for good (no expiry); forget removes it whatever it holds', async () => {
    let now = NOW;
    const { store, links } = registry(() => now);
    await links.reserve('acct-1', 'sub-1');
    await links.record('acct-1', 'sub-1');
    now = NOW + 10 * LINK_RESERVATION_TTL_MS;
    expect(await links.isLinked('acct-1', 'sub-1')).toBe(true);
    expect(await links.isLinked('acct-1', 'sub-2')).toBe(false);
    expect(await links.isLinked('acct-2', 'sub-1')).toBe(false);
    await expect(links.reserve('acct-2', 'sub-1')).rejects.toMatchObject({ code: ErrorCode.ALREADY_LINKED });
    await links.forget('acct-1', 'sub-1');
    expect(await store.keys('link:')).toEqual([]);
    expect(await links.isLinked('acct-1', 'sub-1')).toBe(false);
  });

  it('N182 each recording has its own value: an unlink that saw the first one does not forget a re-link', async () => {
    const { store, links } = registry();
    await links.record('acct-1', 'sub-1');
    const seen = await links.see('acct-1', 'sub-1');
    await links.record('acct-1', 'sub-1');
    expect(await links.forgetSeen(seen)).toBe(false);
    expect(await links.isLinked('acct-1', 'sub-1')).toBe(true);
    expect(await store.keys('link:')).toHaveLength(2);
  });

  it('N182 forgetSeen removes what was seen; a key seen empty but written since is kept (false)', async () => {
    const { store, links } = registry();
    await links.record('acct-1', 'sub-1');
    expect(await links.forgetSeen(await links.see('acct-1', 'sub-1'))).toBe(true);
    expect(await store.keys('link:')).toEqual([]);
    const empty = await links.see('acct-2', 'sub-2');
    expect(await links.forgetSeen(empty)).toBe(true);
    await links.record('acct-2', 'sub-2');
    expect(await links.forgetSeen(empty)).toBe(false);
    expect(await links.isLinked('acct-2', 'sub-2')).toBe(true);
  });
});

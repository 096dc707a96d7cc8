/**
 * Session fixation is answered with a new session id wherever the privilege changes, and only once
 * per sign-in (issue 22): a returning BindID user gets exactly one new session id, by passport's
 * `req.login`, through the router and through the strategy alike; a new BindID user gets one when the
 * pending login is stored, and one more when the confirmation signs them in. Each renewal destroys
 * the old session in the store, so the store's `destroy` calls count them.
 */
import session from 'express-session';
import { type Door, type DoorName, freshAccount, openDoor } from '../helpers/doors.js';

/** A MemoryStore that counts the sessions it destroyed (each renewal of a session id destroys one). */
class CountingStore extends session.MemoryStore {
  destroyed = 0;
  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.destroyed += 1;
    super.destroy(sid, callback);
  }
}

async function signIn(door: Door, agent: ReturnType<Door['agent']>, identity: string) {
  const start = await agent.get(`${door.paths.login}?returnTo=/account`);
  const res = await fetch(`${start.headers.location as string}&identity=${identity}`, { redirect: 'manual' });
  const callback = new URL(res.headers.get('location') as string);
  return agent.get(`${callback.pathname}${callback.search}`);
}

describe.each<DoorName>(['router', 'strategy'])('through the %s', (name) => {
  it('a returning BindID user: one new session id, and the old one is gone', async () => {
    const store = new CountingStore();
    const door = await openDoor(name, { sessionStore: store });
    try {
      const account = freshAccount();
      const id = `r-${name}`;
      door.emulator.setAlias(door.emulator.addIdentity({ id }), String(account.id));
      const agent = door.agent();
      const before = store.destroyed;
      const res = await signIn(door, agent, id);
      expect(res.headers.location).toBe('/account');
      expect(store.destroyed - before).toBe(1);
      expect((await agent.get('/whoami')).body.user).toMatchObject({ username: account.username });
    } finally {
      await door.close();
    }
  });

  it('a new BindID user: one new session id for the pending login', async () => {
    const store = new CountingStore();
    const door = await openDoor(name, { sessionStore: store });
    try {
      const agent = door.agent();
      const before = store.destroyed;
      expect((await signIn(door, agent, 'new')).headers.location).toBe(door.paths.confirm);
      expect(store.destroyed - before).toBe(1);
    } finally {
      await door.close();
    }
  });
});

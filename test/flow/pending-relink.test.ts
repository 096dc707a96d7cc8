/**
 * The pending login's `relink` (getPendingLogin): set only when a BindID user whose ID token carries an
 * alias must confirm again (the app's lookup answered CONFIRM_AGAIN, a revoked link), never for a new
 * BindID user. An app's own confirm page reads it to tell the two apart.
 */
import { CONFIRM_AGAIN, getPendingLogin } from '../../src/index.js';
import { type Agent, bindIdSignIn, useFlowPerTest } from '../helpers/flow.js';

const flows = useFlowPerTest();

async function startFlow(options: Parameters<typeof flows.start>[0] = {}) {
  return flows.start({
    ...options,
    afterRouter: (app) => app.get('/pending', (req, res) => res.json({ relink: getPendingLogin(req)?.relink ?? null })),
  });
}

async function relinkOf(agent: Agent): Promise<unknown> {
  return (await agent.get('/pending')).body.relink;
}

describe("the pending login's relink", () => {
  it('a new BindID user: at the confirm page, relink is not set', async () => {
    const f = await startFlow();
    const agent = f.agent();
    expect((await bindIdSignIn(agent, 'new')).headers.location).toBe('/bindid/confirm');
    expect(await relinkOf(agent)).toBeNull();
  });

  it('an alias the app asks to confirm again (CONFIRM_AGAIN): at the confirm page, relink is true', async () => {
    const f = await startFlow({ router: { findUserByAlias: () => CONFIRM_AGAIN } });
    const sub = f.emulator.addIdentity({ id: 'revoked' });
    f.emulator.setAlias(sub, '1');
    const agent = f.agent();
    expect((await bindIdSignIn(agent, 'revoked')).headers.location).toBe('/bindid/confirm');
    expect(await relinkOf(agent)).toBe(true);
  });
});

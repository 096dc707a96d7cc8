/**
 * The confirm page names the BindID identity being linked in full (its email, else its phone number),
 * HTML-escaped like everything else: someone whose browser holds a sign-in planted by an attacker (a
 * session cookie set from a sibling subdomain or over plain http) sees the attacker's address, not a
 * masked one that passes for their own at a glance.
 */
import type { ConfirmPageModel } from '../../src/index.js';
import { bindIdSignIn, confirmPage, createFlow, type Flow, useSharedEmulator } from '../helpers/flow.js';

const HOSTILE = '"<script>alert(1)</script>"@evil.example';
const PATTERNS = "v$&$'m@gmail.example";

let flow: Flow | undefined;
afterEach(async () => {
  await flow?.close();
  flow = undefined;
});

const emulator = useSharedEmulator({
  identities: [
    { id: 'mallory', email: 'vincent.malloy@gmail.example' },
    { id: 'hostile', email: HOSTILE },
    { id: 'patterns', email: PATTERNS },
    { id: 'phoney', phoneNumber: '+15555550123' },
  ],
});

function start(render?: (model: ConfirmPageModel) => void): Promise<Flow> {
  return createFlow({
    sharedEmulator: emulator(),
    router: {
      scope: 'openid email phone',
      ...(render
        ? {
            render: (model, _req, res) => {
              render(model);
              res.send('<custom>');
            },
          }
        : {}),
    },
  });
}

async function pageOf(f: Flow, identity: string): Promise<string> {
  const agent = f.agent();
  await bindIdSignIn(agent, identity);
  const { res } = await confirmPage(agent);
  expect(res.status).toBe(200);
  return res.text;
}

describe('the BindID identity on the confirm page', () => {
  it('N123 the default page shows the email in full, else the phone number in full', async () => {
    flow = await start();
    expect(await pageOf(flow, 'mallory')).toContain('<p class="identity">BindID account: vincent.malloy@gmail.example</p>');
    expect(await pageOf(flow, 'phoney')).toContain('<p class="identity">BindID account: +15555550123</p>');
  });

  it('N123 the default page escapes the identity: markup in the local part comes out as text', async () => {
    flow = await start();
    const html = await pageOf(flow, 'hostile');
    expect(html).not.toContain('<script>');
    expect(html).toContain(
      '<p class="identity">BindID account: &#34;&#60;script&#62;alert(1)&#60;/script&#62;&#34;@evil.example</p>',
    );
  });

  it("N123 replacement patterns in an address ($&, $') are shown as they are", async () => {
    flow = await start();
    expect(await pageOf(flow, 'patterns')).toContain("<p class=\"identity\">BindID account: v$&#38;$&#39;m@gmail.example</p>");
  });

  it('N123 a render hook gets the identity in full, unescaped (it escapes what it writes)', async () => {
    const seen: Array<string | undefined> = [];
    flow = await start((model) => seen.push(model.identity));
    for (const identity of ['mallory', 'hostile', 'phoney']) {
      const agent = flow.agent();
      await bindIdSignIn(agent, identity);
      expect((await agent.get('/bindid/confirm')).text).toBe('<custom>');
    }
    expect(seen).toEqual(['vincent.malloy@gmail.example', HOSTILE, '+15555550123']);
  });
});

/**
 * onLinkFailed for an ID token whose `bindid_alias` is unusable (refused, never fixed): the app's hook
 * hears it with reason `invalid_alias`, and a hook that throws is named in the process warning while
 * the refusal stands (ERR_BINDID_ALIAS_UNUSABLE, 403).
 */
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { ErrorCode } from '../../src/index.js';
import { bindIdSignIn, useFlowPerTest } from '../helpers/flow.js';

const flows = useFlowPerTest();

describe('onLinkFailed for an unusable bindid_alias', () => {
  it('the hook hears invalid_alias; one that throws is named in the warning, and the sign-in is refused all the same', async () => {
    const heard: Array<LinkFailedEvent['reason']> = [];
    const warnings: string[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string) => {
      warnings.push(message);
    }) as typeof process.emitWarning);
    try {
      const f = await flows.start({
        router: {
          onLinkFailed: (event) => {
            heard.push(event.reason);
            throw new TypeError('app bug');
          },
        },
      });
      const sub = f.emulator.addIdentity({ id: 'spaced' });
      f.emulator.setAlias(sub, ' 1 ');
      const res = await bindIdSignIn(f.agent(), 'spaced');
      expect([res.status, res.body.code]).toEqual([403, ErrorCode.ALIAS_UNUSABLE]);
      expect(heard).toEqual(['invalid_alias']);
      expect(warnings).toEqual([expect.stringContaining('the onLinkFailed hook threw TypeError')]);
    } finally {
      spy.mockRestore();
    }
  });
});

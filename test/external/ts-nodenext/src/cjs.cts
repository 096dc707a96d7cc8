// CommonJS (.cts): `import x = require()` compiles to require(), which loads the ESM package through
// Node's require(esm).
import bindid = require('express-bindid');
import emulatorModule = require('express-bindid/emulator');
import protocol = require('express-bindid/protocol');

const { ErrorCode, SessionFeedbackClient } = bindid;
const { authorizationHeader } = protocol;
console.log(authorizationHeader('s3cr3t', 'at_1'));

async function main(): Promise<void> {
  const emulator: emulatorModule.Emulator = await emulatorModule.createEmulator();
  const client = new SessionFeedbackClient({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl });
  const code: 'ERR_BINDID_UNAUTHORIZED' = ErrorCode.UNAUTHORIZED;
  const options: bindid.SessionFeedbackClientOptions = { clientSecret: 's', apiUrl: emulator.apiUrl, retries: 0 };
  void client;
  void code;
  void options;
  await emulator.close();
  console.log('cjs ok');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

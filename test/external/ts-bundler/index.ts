// Type-checked with moduleResolution bundler, then bundled (package included) by esbuild and run.
import express from 'express';
import { bindIdRouter, type BindIdRouterOptions } from 'express-bindid';
import { authorizationHeader } from 'express-bindid/protocol';
import { createEmulator, type Emulator } from 'express-bindid/emulator';

console.log(authorizationHeader('s3cr3t', 'at_1'));

const emulator: Emulator = await createEmulator({ redirectUris: ['http://localhost:3000/bindid/callback'] });
const options: BindIdRouterOptions = {
  issuer: emulator.issuer,
  apiUrl: emulator.apiUrl,
  clientId: emulator.clientId,
  clientSecret: emulator.clientSecret,
  baseUrl: 'http://localhost:3000',
  findUserByAlias: () => null,
};
const app = express();
app.use(bindIdRouter(options));
// No import of express-session in this program: the package's declarations bring its types along.
app.get('/state', (req, res) => {
  const returnTo: string | undefined = req.session.bindid?.returnTo;
  res.json({ returnTo: returnTo ?? null, alias: req.bindid?.alias ?? null });
});
await emulator.close();
console.log('bundler ok');

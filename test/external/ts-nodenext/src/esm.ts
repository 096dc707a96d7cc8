// ES module (package "type": "module"), compiled by tsc with module nodenext and run by node.
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { bindIdRouter, createLocalStrategy, isBindIdError } from 'express-bindid';
import { authorizationHeader } from 'express-bindid/protocol';
import { createEmulator } from 'express-bindid/emulator';

console.log(authorizationHeader('s3cr3t', 'at_1'));

const emulator = await createEmulator({ redirectUris: ['http://localhost:3000/bindid/callback'] });
passport.use(createLocalStrategy({ verify: async (username, password) => (username === 'a' && password === 'b' ? { id: 1 } : false) }));
const app = express();
app.use(session({ secret: 'consumer', resave: false, saveUninitialized: false }));
app.use(passport.initialize());
app.use(passport.session());
app.use(
  bindIdRouter({
    issuer: emulator.issuer,
    apiUrl: emulator.apiUrl,
    clientId: emulator.clientId,
    clientSecret: emulator.clientSecret,
    baseUrl: 'http://localhost:3000',
    findUserByAlias: (alias) => (alias === '1' ? { id: 1 } : null),
  }),
);
app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
  res.status(isBindIdError(err) ? err.status : 500).end();
});
await emulator.close();
console.log('esm ok');

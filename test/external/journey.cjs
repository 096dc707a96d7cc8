'use strict';
/**
 * The BindID journey through an installed express-bindid, shared by the JavaScript consumers of the
 * import matrix (run.mjs copies it next to each). It takes the consumer's own modules as arguments,
 * so the consumer decides how they are loaded (require or import), and it uses the app's passport
 * singleton (no `passport` option), as an app that follows the README would.
 */
const http = require('node:http');

async function journey({ express, session, passport, bindIdRouter, createLocalStrategy, createEmulator }) {
  const alice = { id: 7, username: 'alice' };
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${server.address().port}`;
  const emulator = await createEmulator({ redirectUris: [`${baseUrl}/bindid/callback`] });
  try {
    passport.serializeUser((user, done) => done(null, user.id));
    passport.deserializeUser((id, done) => done(null, id === alice.id ? alice : false));
    passport.use(createLocalStrategy({ verify: async (u, p) => (u === 'alice' && p === 'correct horse' ? alice : false) }));
    const app = express();
    app.use(session({ secret: 'import-matrix', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.use(
      bindIdRouter({
        issuer: emulator.issuer,
        apiUrl: emulator.apiUrl,
        clientId: emulator.clientId,
        clientSecret: emulator.clientSecret,
        baseUrl,
        findUserByAlias: (alias) => (alias === String(alice.id) ? alice : null),
      }),
    );
    app.get('/account', (req, res) => res.json({ user: req.user ?? null }));
    server.on('request', app);

    // A browser's cookie jar, enough for this journey: the session and the sealed sign-in transaction.
    const jar = new Map();
    const go = async (url, init = {}) => {
      const cookie = [...jar.values()].join('; ');
      const headers = { ...init.headers, ...(cookie ? { cookie } : {}) };
      const res = await fetch(new URL(url, baseUrl), { ...init, headers, redirect: 'manual' });
      for (const line of res.headers.getSetCookie()) {
        const pair = line.split(';')[0];
        const name = pair.slice(0, pair.indexOf('='));
        if (/;\s*max-age=0/i.test(line) || pair.endsWith('=')) jar.delete(name);
        else jar.set(name, pair);
      }
      return { status: res.status, location: res.headers.get('location'), text: await res.text() };
    };
    const expectStatus = (what, res, status) => {
      if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
      return res;
    };

    const start = expectStatus('GET /login/bindid', await go('/login/bindid?returnTo=/account'), 303);
    const authorized = expectStatus('emulator /authorize', await go(`${start.location}&identity=alice`), 302);
    const callback = expectStatus('GET /bindid/callback', await go(authorized.location), 303);
    const page = expectStatus('GET the confirm page', await go(callback.location), 200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const confirmed = expectStatus(
      'POST the confirm page',
      await go(callback.location, {
        method: 'POST',
        headers: { origin: baseUrl, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, username: 'alice', password: 'correct horse' }).toString(),
      }),
      303,
    );
    if (confirmed.location !== '/account') throw new Error(`confirmed, but sent to ${confirmed.location}`);
    const account = JSON.parse(expectStatus('GET /account', await go('/account'), 200).text);
    if (account.user?.id !== alice.id) throw new Error(`not signed in after confirming: ${JSON.stringify(account)}`);
    const reports = emulator.reports();
    if (reports.length !== 1 || !reports[0].accepted || reports[0].alias !== '7') {
      throw new Error(`expected one accepted report for alias 7, got ${JSON.stringify(reports)}`);
    }
    return 'journey ok';
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await emulator.close();
  }
}

module.exports = { journey };

'use strict';
// app.js — the small app the test-runner consumers test (run.mjs copies it next to each test as
// app.js): password sign-in with passport-local, plus "Sign in with BindID" from express-bindid.
const express = require('express');
const session = require('express-session');
const { Passport } = require('passport');
const { bindIdRouter, createLocalStrategy } = require('express-bindid');

const USERS = [
  { id: '1', username: 'demo', password: 'demo-password' },
  { id: '2', username: 'erin', password: 'erin-password' },
];
const publicUser = (user) => (user ? { id: user.id, username: user.username } : null);

/** `bindid`: `{ issuer, apiUrl, clientId, clientSecret }`; `baseUrl`: the app's public origin. */
function createApp({ bindid, baseUrl }) {
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser((id, done) => done(null, publicUser(USERS.find((u) => u.id === id)) ?? false));
  passport.use(
    createLocalStrategy({
      verify: async (username, password) => {
        const user = USERS.find((u) => u.username === username);
        return user && user.password === password ? publicUser(user) : false;
      },
    }),
  );

  const app = express();
  app.use(session({ secret: 'only-for-tests', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(bindIdRouter({ ...bindid, baseUrl, passport, findUserByAlias: (alias) => publicUser(USERS.find((u) => u.id === alias)) }));
  app.get('/', (req, res) => res.send(req.user ? `Hello ${req.user.username}` : 'Hello'));
  app.get('/me', (req, res) => (req.user ? res.json(req.user) : res.status(401).json({ error: 'not signed in' })));
  app.use((err, _req, res, _next) => res.status(err.status ?? 500).json({ code: err.code ?? 'unexpected' }));
  return app;
}

module.exports = { createApp };

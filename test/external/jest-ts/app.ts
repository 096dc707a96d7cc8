// app.ts — the same small app as test/external/testing-app.cjs, in TypeScript.
import { bindIdRouter, createLocalStrategy, isBindIdError } from 'express-bindid';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';

export interface User {
  id: string;
  username: string;
}

const USERS = [
  { id: '1', username: 'demo', password: 'demo-password' },
  { id: '2', username: 'erin', password: 'erin-password' },
];
const publicUser = (user: (typeof USERS)[number] | undefined): User | null => (user ? { id: user.id, username: user.username } : null);

export interface AppConfig {
  bindid: { issuer: string; apiUrl: string; clientId: string; clientSecret: string };
  baseUrl: string;
}

export function createApp({ bindid, baseUrl }: AppConfig): express.Express {
  const passport = new Passport();
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, publicUser(USERS.find((u) => u.id === id)) ?? false));
  passport.use(
    createLocalStrategy<User>({
      verify: async (username, password) => {
        const user = USERS.find((u) => u.username === username);
        return user && user.password === password ? (publicUser(user) as User) : false;
      },
    }),
  );

  const app = express();
  app.use(session({ secret: 'only-for-tests', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(bindIdRouter<User>({ ...bindid, baseUrl, passport, findUserByAlias: (alias) => publicUser(USERS.find((u) => u.id === alias)) }));
  app.get('/', (req, res) => {
    res.send(req.user ? `Hello ${(req.user as User).username}` : 'Hello');
  });
  app.get('/me', (req, res) => {
    if (req.user) res.json(req.user);
    else res.status(401).json({ error: 'not signed in' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isBindIdError(err)) res.status(err.status).json({ code: err.code });
    else res.status(500).json({ code: 'unexpected' });
  });
  return app;
}

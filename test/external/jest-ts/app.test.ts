// The journey with ts-jest and supertest, only the public helpers of express-bindid/testing.
import { confirmWithPassword, signInWithBindId, startTestBindId, type TestBindId } from 'express-bindid/testing';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from './app';

let bindid: TestBindId;
let app: Express;
beforeAll(async () => {
  bindid = await startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback' });
  app = createApp({ bindid: bindid.options, baseUrl: 'http://localhost:3000' });
});
afterAll(() => bindid.close());

test('a new BindID user confirms once with the password, then signs in directly', async () => {
  const agent = request.agent(app);
  expect((await signInWithBindId(agent, bindid, { identity: 'carol' })).headers.location).toBe('/bindid/confirm');

  expect((await confirmWithPassword(agent, bindid, { username: 'demo', password: 'wrong' })).status).toBe(401);
  expect(bindid.reports()).toEqual([]);

  expect((await confirmWithPassword(agent, bindid, { username: 'demo', password: 'demo-password' })).status).toBe(303);
  expect(bindid.reports().map((r) => [r.type, r.alias])).toEqual([['authentication_performed', '1']]);

  const later = request.agent(app);
  expect((await signInWithBindId(later, bindid, { identity: 'carol' })).headers.location).toBe('/');
  expect((await later.get('/me')).body).toEqual({ id: '1', username: 'demo' });
  expect(bindid.reports()).toHaveLength(1);
});

test('BindID down at the confirmation: 503 and the confirm page again, nobody signed in, nothing reported', async () => {
  bindid.clearReports();
  const agent = request.agent(app);
  await signInWithBindId(agent, bindid, { identity: 'dave' });
  bindid.fail('down');
  try {
    const res = await confirmWithPassword(agent, bindid, { username: 'erin', password: 'erin-password' });
    // The confirm page again, with "try again": the password was right, BindID did not answer.
    expect(res.status).toBe(503);
    expect(res.text).toContain('Confirm your account');
  } finally {
    bindid.recover();
  }
  expect((await agent.get('/me')).status).toBe(401);
  expect(bindid.reports()).toEqual([]);
}, 30_000);

// The journey with Vitest and supertest, only the public helpers of express-bindid/testing.
import { confirmWithPassword, signInWithBindId, startTestBindId } from 'express-bindid/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from './app.js';

describe('signing in with BindID', () => {
  let bindid;
  let app;
  beforeAll(async () => {
    bindid = await startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback' });
    app = createApp({ bindid: bindid.options, baseUrl: 'http://localhost:3000' });
  });
  afterAll(() => bindid.close());

  it('confirms a new BindID user once with the password, then signs them in directly', async () => {
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

  it('answers 503 with the confirm page again and signs nobody in while BindID is down', async () => {
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
});

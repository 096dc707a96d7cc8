// The journey with node:test and supertest, only the public helpers of express-bindid/testing.
const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');
const request = require('supertest');
const { confirmWithPassword, signInWithBindId, startTestBindId } = require('express-bindid/testing');
const { createApp } = require('./app');

let bindid;
let app;
before(async () => {
  bindid = await startTestBindId({ redirectUri: 'http://localhost:3000/bindid/callback' });
  app = createApp({ bindid: bindid.options, baseUrl: 'http://localhost:3000' });
});
after(() => bindid.close());

test('a new BindID user confirms once with the password, then signs in directly', async () => {
  const agent = request.agent(app);
  const callback = await signInWithBindId(agent, bindid, { identity: 'carol' });
  assert.equal(callback.headers.location, '/bindid/confirm');

  assert.equal((await confirmWithPassword(agent, bindid, { username: 'demo', password: 'wrong' })).status, 401);
  assert.deepEqual(bindid.reports(), []);

  assert.equal((await confirmWithPassword(agent, bindid, { username: 'demo', password: 'demo-password' })).status, 303);
  assert.deepEqual(
    bindid.reports().map((r) => [r.type, r.alias]),
    [['authentication_performed', '1']],
  );

  const later = request.agent(app);
  assert.equal((await signInWithBindId(later, bindid, { identity: 'carol' })).headers.location, '/');
  assert.equal((await later.get('/me')).body.username, 'demo');
  assert.equal(bindid.reports().length, 1);
});

test('BindID down at the confirmation: 503 and the confirm page again, nobody signed in, nothing reported', async () => {
  bindid.clearReports();
  const agent = request.agent(app);
  await signInWithBindId(agent, bindid, { identity: 'dave' });
  bindid.fail('down');
  try {
    const res = await confirmWithPassword(agent, bindid, { username: 'erin', password: 'erin-password' });
    // The confirm page again, with "try again": the password was right, BindID did not answer.
    assert.equal(res.status, 503);
    assert.match(res.text, /Confirm your account/);
  } finally {
    bindid.recover();
  }
  assert.equal((await agent.get('/me')).status, 401);
  assert.deepEqual(bindid.reports(), []);
});

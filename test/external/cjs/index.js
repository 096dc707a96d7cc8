
// CommonJS consumer: require() of the ESM package (Node's require(esm)).
const assert = require('node:assert/strict');
const bindid = require('express-bindid');
const { bindIdRouter, createLocalStrategy } = require('express-bindid');
const { authorizationHeader } = require('express-bindid/protocol');
const { createEmulator } = require('express-bindid/emulator');
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const { journey } = require('./journey.cjs');

console.log(authorizationHeader('s3cr3t', 'at_1'));
assert.equal(typeof bindid.SessionFeedbackClient, 'function');
assert.equal(bindid.ErrorCode.UNAUTHORIZED, 'ERR_BINDID_UNAUTHORIZED');
assert.equal(require('express-bindid/package.json').name, 'express-bindid');
// Only the entry points in `exports` can be reached.
assert.throws(() => require('express-bindid/dist/signing.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });

(async () => {
  const emulator = await createEmulator();
  assert.match(emulator.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  await emulator.close();
  console.log(await journey({ express, session, passport, bindIdRouter, createLocalStrategy, createEmulator }));
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

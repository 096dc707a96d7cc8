// ES module consumer: named imports, a namespace import, and the same module through require().
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import * as bindid from 'express-bindid';
import { bindIdRouter, createLocalStrategy } from 'express-bindid';
import { authorizationHeader } from 'express-bindid/protocol';
import { createEmulator } from 'express-bindid/emulator';
import journeyModule from './journey.cjs';

console.log(authorizationHeader('s3cr3t', 'at_1'));
assert.equal(bindid.ErrorCode.UNAUTHORIZED, 'ERR_BINDID_UNAUTHORIZED');
// require() and import give the very same module: one class, one instanceof, no dual-package hazard.
const required = createRequire(import.meta.url)('express-bindid');
assert.equal(required.SessionFeedbackClient, bindid.SessionFeedbackClient);
assert.equal(required.BindIdError, bindid.BindIdError);
assert.equal('default' in bindid, false);

const emulator = await createEmulator();
await emulator.close();
console.log(await journeyModule.journey({ express, session, passport, bindIdRouter, createLocalStrategy, createEmulator }));

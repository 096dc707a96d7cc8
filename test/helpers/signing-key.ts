/**
 * One RSA key for the emulators the suites start (test/fixtures/emulator-signing-key.pem, a test
 * key and nothing else): generating a 2048-bit key takes about 0.2 s of CPU, and the suites start
 * hundreds of emulators. test/emulator/signing-key.test.ts covers the emulator's own generation.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const TEST_SIGNING_KEY: KeyObject = createPrivateKey(readFileSync(path.join(__dirname, '..', 'fixtures', 'emulator-signing-key.pem')));

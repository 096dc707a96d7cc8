/**
 * The certificate of the bench's TLS terminator in front of the emulator: the test-only self-signed
 * pair for 127.0.0.1 of test/fixtures (it protects nothing). App processes that report over HTTPS
 * trust it through `NODE_EXTRA_CA_CERTS`.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

export const TLS_CERT_FILE = fileURLToPath(new URL('../../test/fixtures/self-signed-cert.pem', import.meta.url));
export const TLS_KEY_FILE = fileURLToPath(new URL('../../test/fixtures/self-signed-key.pem', import.meta.url));

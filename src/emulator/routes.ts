/**
 * The route tables of the emulator's two servers.
 *
 * @module
 */
import { handleFaults, handleHealth, handleReports } from './admin.js';
import { handleAuthorize } from './authorize.js';
import { handleCustomUserData } from './custom-user-data.js';
import { handleSessionFeedback, recordFaulted } from './feedback.js';
import { handleDiscovery, handleJwks, handleUserinfo } from './oidc.js';
import type { Route } from './server.js';
import { handleToken } from './token.js';

/** `/__emulator/*`, on both sides. */
const ADMIN_ROUTES: [string, Route][] = [
  ['/__emulator/health', { methods: ['GET'], handle: handleHealth }],
  ['/__emulator/reports', { methods: ['GET', 'DELETE'], handle: handleReports }],
  ['/__emulator/faults', { methods: ['POST'], handle: handleFaults }],
];

/** The sign-in (OIDC) side, whose base URL is the issuer. */
export const SIGNIN_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  ['/.well-known/openid-configuration', { endpoint: 'discovery', methods: ['GET'], handle: handleDiscovery }],
  ['/jwks', { endpoint: 'jwks', methods: ['GET'], handle: handleJwks }],
  ['/authorize', { endpoint: 'authorize', methods: ['GET', 'POST'], handle: handleAuthorize }],
  ['/token', { endpoint: 'token', methods: ['POST'], handle: handleToken }],
  ['/userinfo', { endpoint: 'userinfo', methods: ['GET', 'POST'], handle: handleUserinfo }],
  ...ADMIN_ROUTES,
]);

/** The service-provider API side. */
export const API_ROUTES: ReadonlyMap<string, Route> = new Map<string, Route>([
  [
    '/session-feedback',
    { endpoint: 'session-feedback', methods: ['POST'], handle: handleSessionFeedback, onFault: recordFaulted },
  ],
  ['/custom-user-data', { endpoint: 'custom-user-data', methods: ['GET', 'POST', 'PATCH'], handle: handleCustomUserData }],
  ...ADMIN_ROUTES,
]);

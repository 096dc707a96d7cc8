/**
 * `CLOCK_TOLERANCE_SECONDS`: how far apart two clocks (this server's and BindID's) may be when a
 * time from one is checked against the other. openid-client checks the ID token's `exp`, `iat` and
 * `nbf` with it (set explicitly on its configuration), and an unlink checks the ID token's
 * `auth_time` against the moment it started with it.
 *
 * @module
 */

/** Seconds of clock difference tolerated: openid-client's own default, named once. */
export const CLOCK_TOLERANCE_SECONDS = 30;

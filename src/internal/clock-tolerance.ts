/**
 * Seconds two clocks (this server's, BindID's) may differ: openid-client's default, set explicitly for the ID token's `exp`,
 * `iat` and `nbf`, and used by an unlink's `auth_time` check.
 */
export const CLOCK_TOLERANCE_SECONDS = 30;

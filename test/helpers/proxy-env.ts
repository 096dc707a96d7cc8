/**
 * The egress proxy variables (`HTTPS_PROXY`, `NO_PROXY`... and their lower-case names) set for one
 * test only: `withProxyEnv(env, run)` clears them all, sets those of `env`, runs `run`, and puts
 * every one back as it was, whatever `run` did.
 *
 * @module
 */

/** Every variable the library's proxy lookup reads (proxy-from-env), in both cases. */
export const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'];

/** Run `run` with exactly the proxy variables of `env` set; all of them restored after. */
export async function withProxyEnv<T>(env: Record<string, string>, run: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(PROXY_VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

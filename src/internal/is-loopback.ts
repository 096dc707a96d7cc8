/** True for URL hosts that never leave the machine (`localhost`, `127.x.x.x`, `[::1]`): plain http is allowed only there. */
export function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Checklist C17 (statistical timing), run by `npm run test:timing` (jest.timing.config.js), not by
 * `npm test`: it takes a while and measures time.
 *
 * Unknown username, wrong password, locked account (attempt limiter) and disabled account must take
 * the same time, given an honest app `verify` that always pays the same fixed cost (scrypt against
 * the user's hash or a dummy one, constant-time compare). What is measured is the middleware's own
 * contribution: a "quick exit" shows up as a gap of the whole hashing cost. A locked account does not
 * run `verify` (the attempt guard refuses it before the check) but waits as long as the strategy's
 * recent checks took (a moving average), so it must not stand out either.
 *
 * Robust on a loaded 2-core machine: the four cases are sampled interleaved, in a shuffled order
 * per round, so load bursts hit all four alike; medians are compared, and the threshold is generous
 * (a quarter of the median, at least 3 ms) next to the gap a quick exit makes (the whole scrypt
 * cost, most of the median). The figures are printed.
 */
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import {
  type Agent,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  submitConfirm,
  type TestUser,
} from '../helpers/flow.js';

const SAMPLES = 200;
const PARAMS = { N: 2 ** 12, r: 8, p: 1 };
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: typeof PARAMS) => Promise<Buffer>;

const CASES = ['unknown user', 'wrong password', 'locked account', 'disabled account'] as const;
type Case = (typeof CASES)[number];

/** The honest app: every call hashes once, with the user's salt or a dummy one, and compares in constant time. */
function honestUsers() {
  const salt = randomBytes(16);
  const hash = scryptSync('correct-password', salt, 32, PARAMS);
  const dummySalt = randomBytes(16);
  const dummyHash = scryptSync('never-matches', dummySalt, 32, PARAMS);
  const users = new Map<string, { id: number; disabled: boolean }>();
  for (let i = 0; i < SAMPLES; i++) {
    users.set(`mem${String(i).padStart(5, '0')}`, { id: 1000 + i, disabled: false });
    users.set(`dis${String(i).padStart(5, '0')}`, { id: 2000 + i, disabled: true });
  }
  users.set('loc00000', { id: 3000, disabled: false });
  const verify = async (username: string, password: string): Promise<TestUser | false> => {
    const user = users.get(username);
    const computed = await scryptAsync(password, user ? salt : dummySalt, 32, PARAMS);
    const matches = timingSafeEqual(computed, user ? hash : dummyHash);
    return user && matches && !user.disabled ? { id: user.id, username } : false;
  };
  return verify;
}

/** One browser per case, with a pending login renewed before it reaches maxAttempts. */
class Client {
  agent!: Agent;
  csrf = '';
  used = 0;
  constructor(private readonly flow: Flow) {}

  async ready(): Promise<void> {
    if (this.csrf && this.used < 90) return;
    this.agent = this.flow.agent();
    await bindIdSignIn(this.agent, 'bob');
    this.csrf = (await confirmPage(this.agent)).csrf;
    this.used = 0;
  }

  async timed(username: string, password: string): Promise<number> {
    await this.ready();
    this.used++;
    const started = process.hrtime.bigint();
    const res = await submitConfirm(this.agent, { _csrf: this.csrf, username, password });
    const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.status !== 401) throw new Error(`expected the generic 401, got ${res.status}`);
    return elapsed;
  }
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('C. Credential check timing', () => {
  let flow: Flow;
  afterAll(() => flow?.close());

  it('C17 unknown user, wrong password, locked and disabled take the same time (medians of 200 interleaved samples each)', async () => {
    flow = await createFlow({
      verify: honestUsers(),
      router: { maxAttempts: 100, attemptLimits: { perAccount: 3, perIp: 1_000_000 } },
    });
    const clients = new Map(CASES.map((c) => [c, new Client(flow)]));
    const attempt: Record<Case, (i: number) => [string, string]> = {
      'unknown user': (i) => [`gho${String(i).padStart(5, '0')}`, 'correct-password'],
      'wrong password': (i) => [`mem${String(i).padStart(5, '0')}`, 'wrong-password!!'],
      'locked account': () => ['loc00000', 'correct-password'],
      'disabled account': (i) => [`dis${String(i).padStart(5, '0')}`, 'correct-password'],
    };
    // Lock the locked account, and warm up every path (JIT, connection, first sign-in); a username
    // used twice stays below the account limit of 3.
    const warm = new Client(flow);
    for (let i = 0; i < 3; i++) await warm.timed('loc00000', `guess-${i}`);
    for (const c of CASES) await (clients.get(c) as Client).timed(...attempt[c](SAMPLES - 1));

    const samples = new Map<Case, number[]>(CASES.map((c) => [c, []]));
    for (let i = 0; i < SAMPLES; i++) {
      for (const c of shuffle(CASES)) {
        (samples.get(c) as number[]).push(await (clients.get(c) as Client).timed(...attempt[c](i)));
      }
    }

    const medians = new Map(CASES.map((c) => [c, quantile(samples.get(c) as number[], 0.5)]));
    const reference = quantile([...medians.values()], 0.5);
    const threshold = Math.max(3, reference * 0.25);
    const gap = Math.max(...medians.values()) - Math.min(...medians.values());
    const lines = CASES.map((c) => {
      const s = samples.get(c) as number[];
      return `  ${c.padEnd(17)} median ${quantile(s, 0.5).toFixed(2)} ms  (p25 ${quantile(s, 0.25).toFixed(2)}, p75 ${quantile(s, 0.75).toFixed(2)}, n=${s.length})`;
    });
    console.log(
      `C17 timing, ${SAMPLES} interleaved samples per case, scrypt N=${PARAMS.N}:\n${lines.join('\n')}\n` +
        `  largest median gap ${gap.toFixed(2)} ms; threshold ${threshold.toFixed(2)} ms`,
    );
    expect(flow.emulator.reports()).toHaveLength(0);
    expect(gap).toBeLessThan(threshold);
  });
});

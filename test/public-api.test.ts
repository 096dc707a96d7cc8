/**
 * The public surface, name by name. Each entry point's exports are listed here as sorted literals,
 * so adding, removing or renaming an export is a visible diff in review (and a CHANGELOG entry).
 * Values are read from the loaded module; types and values together from the TypeScript checker.
 */
import { join } from 'node:path';
import ts from 'typescript';
import * as doctor from '../src/doctor/index.js';
import * as emulator from '../src/emulator/index.js';
import * as outbox from '../src/fail-open/index.js';
import * as protocol from '../src/feedback/index.js';
import * as root from '../src/index.js';
import * as stores from '../src/stores/index.js';
import * as testing from '../src/testing/index.js';

/** What an app meets at the root: at most this many names (issue 22: a surface a newcomer can hold in their head). */
const MAX_ROOT_NAMES = 45;

const ROOT_VALUES = [
  'BINDID_HOSTS',
  'BindIdError',
  'BindIdStrategy',
  'CONFIRM_AGAIN',
  'DEFAULT_CONFIRM_MESSAGES',
  'DIAGNOSTICS_CHANNELS',
  'ErrorCode',
  'MemoryBindIdStore',
  'RedisBindIdStore',
  'SessionFeedbackClient',
  'assertSameOriginRequest',
  'bindIdRouter',
  'clearPendingLogin',
  'createLocalStrategy',
  'csrfToken',
  'getPendingLogin',
  'isBindIdError',
  'isNewBindIdUser',
  'opaqueAlias',
  'renderDefaultConfirmPage',
  'sanitizeReturnTo',
  'sendAuthenticationPerformed',
  'storePendingLogin',
  'unlinkBindId',
];

/** Type-only exports of the root (every export that is not in ROOT_VALUES; `ErrorCode` is a value and a type). */
const ROOT_TYPES = [
  'AuthorizationParams',
  'BindIdAuthInfo',
  'BindIdClaims',
  'BindIdEvents',
  'BindIdRequestState',
  'BindIdRouter',
  'BindIdRouterOptions',
  'BindIdStore',
  'BindIdStrategyOptions',
  'ConfirmMiddleware',
  'ConfirmPageMessages',
  'ConfirmPageModel',
  'DiagnosticsPayloads',
  'FeedbackResult',
  'LocalStrategyOptions',
  'PendingLogin',
  'RedisBindIdStoreOptions',
  'SendAuthenticationPerformedOptions',
  'SessionFeedbackClientOptions',
];

/** The subpaths besides the emulator's and the testing helpers' (values, then types). */
const OUTBOX_VALUES = ['OutboxWorker', 'StoreOutbox', 'outboxId'];
const OUTBOX_TYPES = [
  'Outbox',
  'OutboxDeadLetterEvent',
  'OutboxDeliveredEvent',
  'OutboxItem',
  'OutboxItemInfo',
  'OutboxRetryEvent',
  'OutboxRunResult',
  'OutboxSender',
  'OutboxWorkerOptions',
  'StoreOutboxOptions',
];
const STORES_VALUES = ['MemoryBindIdStore', 'RedisBindIdStore'];
const STORES_TYPES = [
  'BindIdQueueStore',
  'BindIdStore',
  'MemoryBindIdStoreOptions',
  'QueueEntry',
  'QueueRecord',
  'RedisBindIdStoreClient',
  'RedisBindIdStoreOptions',
  'RedisCaller',
  'RedisClusterCommander',
  'RedisCommander',
];
const DOCTOR_VALUES = ['checkBindIdSetup'];
const DOCTOR_TYPES = ['BindIdSetupCheck', 'BindIdSetupCheckId', 'BindIdSetupOptions', 'BindIdSetupReport'];
const PROTOCOL_VALUES = ['authorizationHeader', 'feedbackAuthValue'];
const PROTOCOL_TYPES = [
  'AliasDeletedInput',
  'AliasUpdatedInput',
  'AuthenticationPerformedInput',
  'BackoffOptions',
  'CircuitBreakerOptions',
  'CustomUserData',
  'CustomUserDataResult',
  'CustomUserDataValue',
  'SessionFeedbackReport',
];

const EMULATOR_VALUES = ['createEmulator'];
const EMULATOR_TYPES = ['Emulator', 'EmulatorEndpoint', 'EmulatorIdentity', 'EmulatorOptions', 'Fault', 'HeaderForm', 'ReceivedReport'];

const TESTING_VALUES = ['confirmWithPassword', 'mintPendingLogin', 'signInWithBindId', 'startTestBindId'];
const TESTING_TYPES = [
  'ConfirmWithPasswordInput',
  'MintPendingLoginOptions',
  'MintedPendingLogin',
  'SignInWithBindIdOptions',
  'TestAgent',
  'TestBindId',
  'TestBindIdCredentials',
  'TestBindIdFaultKind',
  'TestBindIdFaultOptions',
  'TestBindIdOptions',
  'TestRequest',
  'TestResponse',
];

/** Every export name (values and types) of a source entry point, as the TypeScript checker sees it. */
function exportedNames(entries: readonly string[]): Map<string, string[]> {
  const files = entries.map((entry) => join(__dirname, '..', entry));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const [i, file] of files.entries()) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (!symbol) throw new Error(`no module symbol for ${file}`);
    out.set(entries[i] as string, checker.getExportsOfModule(symbol).map((s) => s.name).sort());
  }
  return out;
}

const valuesOf = (module: object): string[] => Object.keys(module).filter((k) => k !== '__esModule' && k !== 'default').sort();
const sorted = (names: readonly string[]): string[] => [...names].sort();

describe('public API', () => {
  it('the lists in this file are sorted, so a change shows as a one-line diff', () => {
    for (const list of [ROOT_VALUES, ROOT_TYPES, EMULATOR_VALUES, EMULATOR_TYPES, TESTING_VALUES, TESTING_TYPES]) expect(list).toEqual(sorted(list));
    for (const list of [OUTBOX_VALUES, OUTBOX_TYPES, STORES_VALUES, STORES_TYPES, DOCTOR_VALUES, DOCTOR_TYPES, PROTOCOL_VALUES, PROTOCOL_TYPES]) {
      expect(list).toEqual(sorted(list));
    }
  });

  it(`the root has at most ${MAX_ROOT_NAMES} names`, () => {
    expect(ROOT_VALUES.length + ROOT_TYPES.length).toBeLessThanOrEqual(MAX_ROOT_NAMES);
  });

  it.each([
    ['express-bindid/outbox', outbox, OUTBOX_VALUES],
    ['express-bindid/stores', stores, STORES_VALUES],
    ['express-bindid/doctor', doctor, DOCTOR_VALUES],
    ['express-bindid/protocol', protocol, PROTOCOL_VALUES],
  ])('%s exports exactly these values', (_name, module, values) => {
    expect(valuesOf(module)).toEqual(values);
  });

  it('express-bindid exports exactly these values', () => {
    expect(valuesOf(root)).toEqual(ROOT_VALUES);
  });

  it('express-bindid/emulator exports exactly these values', () => {
    expect(valuesOf(emulator)).toEqual(EMULATOR_VALUES);
  });

  it('express-bindid/testing exports exactly these values', () => {
    expect(valuesOf(testing)).toEqual(TESTING_VALUES);
  });

  it('each entry point exports exactly these names, types included', () => {
    const names = exportedNames([
      'src/index.ts',
      'src/emulator/index.ts',
      'src/testing/index.ts',
      'src/fail-open/index.ts',
      'src/stores/index.ts',
      'src/doctor/index.ts',
      'src/feedback/index.ts',
    ]);
    expect(names.get('src/index.ts')).toEqual(sorted([...ROOT_VALUES, ...ROOT_TYPES]));
    expect(names.get('src/fail-open/index.ts')).toEqual(sorted([...OUTBOX_VALUES, ...OUTBOX_TYPES]));
    expect(names.get('src/stores/index.ts')).toEqual(sorted([...STORES_VALUES, ...STORES_TYPES]));
    expect(names.get('src/doctor/index.ts')).toEqual(sorted([...DOCTOR_VALUES, ...DOCTOR_TYPES]));
    expect(names.get('src/feedback/index.ts')).toEqual(sorted([...PROTOCOL_VALUES, ...PROTOCOL_TYPES]));
    expect(names.get('src/emulator/index.ts')).toEqual(sorted([...EMULATOR_VALUES, ...EMULATOR_TYPES]));
    expect(names.get('src/testing/index.ts')).toEqual(sorted([...TESTING_VALUES, ...TESTING_TYPES]));
  }, 60_000);
});

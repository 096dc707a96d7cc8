/**
 * The public surface, name by name. Each entry point's exports are listed here as sorted literals,
 * so adding, removing or renaming an export is a visible diff in review (and a CHANGELOG entry).
 * Values are read from the loaded module; types and values together from the TypeScript checker.
 */
import { join } from 'node:path';
import ts from 'typescript';
import * as emulator from '../src/emulator/index.js';
import * as root from '../src/index.js';
import * as testing from '../src/testing/index.js';

const ROOT_VALUES = [
  'BINDID_HOSTS',
  'BindIdArgumentError',
  'BindIdError',
  'BindIdFeedbackError',
  'BindIdStateError',
  'BindIdStrategy',
  'CONFIRM_AGAIN',
  'DEFAULT_CONFIRM_MESSAGES',
  'DIAGNOSTICS_CHANNELS',
  'ErrorCode',
  'LinkRegistry',
  'MemoryBindIdStore',
  'OutboxWorker',
  'RedisBindIdStore',
  'SessionFeedbackClient',
  'StoreOutbox',
  'assertSameOriginRequest',
  'authorizationHeader',
  'bindIdRouter',
  'checkBindIdSetup',
  'clearPendingLogin',
  'createLocalStrategy',
  'csrfToken',
  'feedbackAuthValue',
  'getPendingLogin',
  'isBindIdError',
  'isNewBindIdUser',
  'opaqueAlias',
  'outboxId',
  'renderDefaultConfirmPage',
  'sanitizeReturnTo',
  'sendAuthenticationPerformed',
  'storePendingLogin',
  'unlinkBindId',
];

/** Type-only exports of the root (every export that is not in ROOT_VALUES). */
const ROOT_TYPES = [
  'AliasDeletedInput',
  'AliasLookup',
  'AliasUpdatedInput',
  'AttemptGuardOptions',
  'AttemptLimits',
  'AttemptsLocked',
  'AuthenticationPerformedInput',
  'AuthorizationParams',
  'BackoffOptions',
  'BindIdAuthInfo',
  'BindIdClaims',
  'BindIdEnvironment',
  'BindIdErrorDetails',
  'BindIdHosts',
  'BindIdLocalStrategy',
  'BindIdQueueStore',
  'BindIdRequestState',
  'BindIdRouter',
  'BindIdRouterOptions',
  'BindIdRouterPaths',
  'BindIdSessionState',
  'BindIdSetupCheck',
  'BindIdSetupCheckId',
  'BindIdSetupOptions',
  'BindIdSetupReport',
  'BindIdStore',
  'BindIdStrategyOptions',
  'CircuitBreakerOptions',
  'CircuitStateChange',
  'ConfirmMiddleware',
  'ConfirmPageMessages',
  'ConfirmPageModel',
  'CustomUserData',
  'CustomUserDataResult',
  'CustomUserDataValue',
  'ErrorCodeValue',
  'FailureMode',
  'FeedbackErrorEvent',
  'FeedbackResult',
  'LinkFailedEvent',
  'LinkedEvent',
  'LocalStrategyOptions',
  'LocalStrategyOptionsWithRequest',
  'MemoryBindIdStoreOptions',
  'Outbox',
  'OutboxBackoffOptions',
  'OutboxDeadLetterEvent',
  'OutboxDeliveredEvent',
  'OutboxDiagnostic',
  'OutboxItem',
  'OutboxItemInfo',
  'OutboxRetryEvent',
  'OutboxRunResult',
  'OutboxSender',
  'OutboxWorkerOptions',
  'OutboxWorkerSettings',
  'PassportLike',
  'PendingLogin',
  'QueueEntry',
  'QueueRecord',
  'RecognizedEvent',
  'RedisBindIdStoreClient',
  'RedisBindIdStoreOptions',
  'RedisCaller',
  'RedisClusterCommander',
  'RedisCommander',
  'RenderConfirmPage',
  'ReportQueuedEvent',
  'SendAuthenticationPerformedOptions',
  'SessionFeedbackClientOptions',
  'SessionFeedbackReport',
  'SessionFeedbackTrace',
  'StaticOidcMetadata',
  'StoreOutboxOptions',
  'StorePendingLoginInput',
  'StorePendingLoginOptions',
  'TokenExchangeTrace',
  'UnlinkBindIdInput',
  'UnlinkResult',
  'UnlinkedEvent',
  'Verify',
  'VerifyDone',
  'VerifyResult',
  'VerifyWithRequest',
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
    const names = exportedNames(['src/index.ts', 'src/emulator/index.ts', 'src/testing/index.ts']);
    expect(names.get('src/index.ts')).toEqual(sorted([...ROOT_VALUES, ...ROOT_TYPES]));
    expect(names.get('src/emulator/index.ts')).toEqual(sorted([...EMULATOR_VALUES, ...EMULATOR_TYPES]));
    expect(names.get('src/testing/index.ts')).toEqual(sorted([...TESTING_VALUES, ...TESTING_TYPES]));
  }, 60_000);
});

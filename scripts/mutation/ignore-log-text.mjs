/**
 * A StrykerJS ignorer (stryker.config.mjs `ignorers`): the text of a debug log line, the string and
 * template literals passed to a module's `log(...)` (src/internal/log.ts), is not mutated. No user,
 * attacker or test relies on the wording of a `DEBUG=express-bindid:*` line; what a log line must not
 * carry (a secret, a token) is decided by its arguments (`printable`, `safeCause`), which stay mutated,
 * and by the log-hygiene suites (test/security/h-logs.test.ts). The summary counts these mutants as
 * disabled, with this reason.
 */
import { declareValuePlugin, PluginKind } from '@stryker-mutator/api/plugin';

export const REASON = 'text of a debug log line, which no one relies on (its arguments stay mutated)';

/** `log('…', …)`: a call of the identifier `log`, the name every module gives its logger. */
function isLogCall(node) {
  return node?.type === 'CallExpression' && node.callee.type === 'Identifier' && node.callee.name === 'log';
}

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'log-text', {
    shouldIgnore(path) {
      const { node, parent } = path;
      const literal = node.type === 'StringLiteral' || node.type === 'TemplateLiteral';
      return literal && isLogCall(parent) && parent.arguments.includes(node) ? REASON : undefined;
    },
  }),
];

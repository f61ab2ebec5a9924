/**
 * The pools a slonik migration creates, `createPool(url, options)`: the timeouts slonik opens
 * their connections with (settings in force for every rule), and what of the options miglint
 * cannot read or that may change what runs (interceptors), as located "not analysed" facts.
 * Options: slonik's ClientConfiguration; the other options (type parsers, retries, pool sizes,
 * `resetConnection`, which only decides how a released connection is cleaned) change nothing a
 * rule says.
 */
import type { CallExpression, Node as TsNode, ObjectLiteralExpression } from 'ts-morph';
import type { ClientSetting, UnanalysedFact } from '../../core/unit.js';
import { stringValue, unwrap } from './literals.js';
import { Node, SyntaxKind } from './morph.js';
import { phaseOf } from './shape.js';
import type { Env } from './types.js';

/** slonik's client configuration defaults that become connection settings (createClientConfiguration), in ms. */
const CLIENT_TIMEOUTS = [
  { option: 'statementTimeout', setting: 'statement_timeout' },
  { option: 'idleInTransactionSessionTimeout', setting: 'idle_in_transaction_session_timeout' },
] as const;
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The interceptor hooks that change what a rule says: `transformQuery` rewrites the SQL sent,
 * `beforeQueryExecution` may answer in the query's place, `afterPoolConnection` runs queries
 * (a `SET lock_timeout`, say) on every connection the pool opens, `beforePoolConnection` may hand
 * out another pool. The others only see results, rows and errors.
 */
const QUERY_HOOKS = new Set(['transformQuery', 'beforeQueryExecution', 'afterPoolConnection', 'beforePoolConnection']);
/** Interceptor factories of slonik's own packages and README that use none of QUERY_HOOKS (logging, row transformation, result parsing). */
const HARMLESS_INTERCEPTORS = new Set(['createQueryLoggingInterceptor', 'createFieldNameTransformationInterceptor', 'createResultParserInterceptor']);

/** What one `createPool(url, options)` call sets: each timeout's value (null: unreadable), and what could not be read. */
interface PoolOptions {
  timeouts: Map<string, string | null>;
  unread: UnanalysedFact[];
}

/**
 * The client settings of the file's pools, and what of their options miglint could not read.
 *
 * slonik opens its connections with `statementTimeout` and `idleInTransactionSessionTimeout`,
 * 60000 ms each by default, passed to PostgreSQL as connection settings; `'DISABLE_TIMEOUT'` sets
 * none, and slonik turns `0` into 1 ms. A pool the file does not create is taken to have the
 * defaults; the file's own `createPool(url, options)` calls decide otherwise, and an option
 * miglint cannot read (or calls that disagree) leave the setting unknown, that is not in force.
 * Options it cannot read at all (a variable from elsewhere, a spread) and interceptors that may
 * rewrite the queries or set settings on each connection are located `unanalysed` facts.
 */
export function clientConfiguration(env: Env): { settings: ClientSetting[]; unanalysed: UnanalysedFact[] } {
  if (env.framework !== 'slonik') return { settings: [], unanalysed: [] };
  const calls = env.nodes.ofKind(SyntaxKind.CallExpression).filter((c) => c.getExpression().getText() === 'createPool');
  const pools = calls.map((c) => poolOptions(c, env));
  const settings: ClientSetting[] = [];
  for (const { option, setting } of CLIENT_TIMEOUTS) {
    const values = new Set<string | null>(pools.map((p) => p.timeouts.get(option) ?? null));
    if (!calls.length) values.add(`${DEFAULT_TIMEOUT_MS}ms`);
    const [only] = values;
    if (values.size !== 1 || only === null || only === undefined || only === 'off') continue;
    settings.push({ name: setting, value: only, by: calls.length ? `the \`${option}\` of the pool's createPool(...)` : `slonik's default \`${option}\` (60 s) of the pool the migration is given` });
  }
  return { settings, unanalysed: pools.flatMap((p) => p.unread) };
}

const spanOf = (n: TsNode) => ({ start: n.getStart(), end: n.getEnd() });

/** The options object of `createPool(url, options)`: a literal, or a same-file const holding one; null when it is something else. */
function optionsObject(arg: TsNode, env: Env, depth = 0): ObjectLiteralExpression | null {
  const o = unwrap(arg);
  if (Node.isObjectLiteralExpression(o)) return o;
  if (Node.isIdentifier(o) && depth < 4) {
    const init = env.consts.resolve(o);
    return init ? optionsObject(init, env, depth + 1) : null;
  }
  return null;
}

function poolOptions(call: CallExpression, env: Env): PoolOptions {
  const timeouts = new Map<string, string | null>();
  const unread: UnanalysedFact[] = [];
  const arg = call.getArguments()[1];
  if (!arg) {
    for (const { option } of CLIENT_TIMEOUTS) timeouts.set(option, `${DEFAULT_TIMEOUT_MS}ms`);
    return { timeouts, unread };
  }
  const o = optionsObject(arg, env);
  const spread = o?.getProperties().find((p) => Node.isSpreadAssignment(p));
  if (!o || spread) {
    const what = spread ? `spreads \`${spread.getText()}\`` : `are \`${arg.getText()}\``;
    unread.push({
      scope: 'statement',
      message: `Not analysed: the options of this createPool(...) ${what}, which miglint cannot read; their statementTimeout, idleInTransactionSessionTimeout and interceptors decide the settings the pool's connections start with and the SQL it sends, so the statement timeout is taken as unset.`,
      help: 'Write the options as an object literal in the call (or a same-file const), or set `statementTimeout` there, so miglint can read them.',
      span: spanOf(spread ?? arg),
      phase: phaseOf(call, env.phases),
    });
    return { timeouts, unread };
  }
  for (const { option } of CLIENT_TIMEOUTS) timeouts.set(option, timeoutValue(o, option, env));
  const interceptors = o.getProperty('interceptors');
  if (interceptors) unread.push(...interceptorFacts(interceptors, call, env));
  return { timeouts, unread };
}

/** A createPool option's timeout as a setting value (`60000ms`), `off` for `'DISABLE_TIMEOUT'`, null when it cannot be read. */
function timeoutValue(o: ObjectLiteralExpression, option: string, env: Env): string | null {
  const p = o.getProperty(option);
  if (!p) return `${DEFAULT_TIMEOUT_MS}ms`;
  let v = Node.isPropertyAssignment(p) ? unwrap(p.getInitializerOrThrow()) : undefined;
  if (v && Node.isIdentifier(v)) v = env.consts.resolve(v) ?? v;
  if (v && Node.isNumericLiteral(v)) return `${Math.max(1, Number(v.getLiteralValue()))}ms`;
  return stringValue(v, env.consts) === 'DISABLE_TIMEOUT' ? 'off' : null;
}

/** The interceptors of a pool that may change the SQL sent or the settings in force, as located facts. */
function interceptorFacts(prop: TsNode, call: CallExpression, env: Env): UnanalysedFact[] {
  const fact = (at: TsNode, what: string): UnanalysedFact => ({
    scope: 'statement',
    message: `Not analysed: the pool's interceptor ${what}; an interceptor's transformQuery can rewrite the SQL sent, its beforeQueryExecution answer in a query's place, and its afterPoolConnection set settings (a lock_timeout) on each connection, so miglint's reading of this pool's queries may not be what runs.`,
    help: 'Keep interceptors that rewrite queries or set settings out of the migrations\' pool, or suppress this once checked.',
    span: spanOf(at),
    phase: phaseOf(call, env.phases),
  });
  const init = Node.isPropertyAssignment(prop) ? unwrap(prop.getInitializerOrThrow()) : undefined;
  let list = init;
  if (list && Node.isIdentifier(list)) list = env.consts.resolve(list) ?? list;
  if (!list || !Node.isArrayLiteralExpression(list)) return [fact(prop, `list \`${(init ?? prop).getText()}\` cannot be read`)];
  const out: UnanalysedFact[] = [];
  for (const el of list.getElements()) {
    const e = unwrap(el);
    if (Node.isCallExpression(e) && HARMLESS_INTERCEPTORS.has(e.getExpression().getText())) continue;
    if (Node.isObjectLiteralExpression(e) && !e.getProperties().some((p) => Node.isSpreadAssignment(p))) {
      const hooks = e.getProperties().flatMap((p) => (Node.isSpreadAssignment(p) ? [] : [p.getName()]));
      const used = hooks.filter((h) => QUERY_HOOKS.has(h));
      if (used.length) out.push(fact(e, `defines ${used.map((h) => `\`${h}\``).join(', ')}`));
      continue;
    }
    out.push(fact(e, `\`${e.getText().slice(0, 60)}\` is not one miglint knows`));
  }
  return out;
}

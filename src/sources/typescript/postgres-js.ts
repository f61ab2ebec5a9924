/**
 * postgres.js (`import postgres from 'postgres'`): `` sql`...` `` tagged templates (a `${value}`
 * is a bind parameter), `sql.unsafe(text)` and `sql.file(path)`, on the handle the migration
 * is given (an umzug context) or one made with `postgres(...)`, and `sql.begin(async (tx) => ...)`.
 *
 * postgres.js adds no transaction of its own, nor does umzug: each query outside `sql.begin`
 * runs in autocommit on whichever connection of the pool is free, so a `SET lock_timeout`
 * there may not reach the next query; `sql.begin` reserves one connection and wraps its
 * callback in `BEGIN` / `COMMIT` (recognised as a managed callback by transactions.ts).
 *
 * ley and postgres-shift, the migration tools made for postgres.js, do add one: each runs every
 * pending migration inside one `sql.begin(...)` and passes its transaction handle as the
 * migration's `sql` (ley's `up(sql)` / `exports.up`, postgres-shift's `export default (sql)`), on
 * one connection. miglint reads which from the project's package.json (`env.runner`): the
 * migration is then in a transaction, and a SET on its `sql` reaches the next query.
 */
import type { CallExpression, Node as TsNode, TaggedTemplateExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import { templateBody } from './edits.js';
import { callQuery, isFragment, templateQuery, type RawQuery } from './queries.js';
import type { Env, FrameworkSupport, PhaseFunction } from './types.js';
import { FileMemo } from '../../core/file-memo.js';

/** Names bound to a postgres.js handle: the phases' parameters, `postgres(...)` results and `begin` / `savepoint` callback parameters. */
function handles(env: Env): Set<string> {
  const names = new Set<string>();
  for (const p of env.phases) if (p.param) names.add(p.param);
  for (const d of env.nodes.ofKind(SyntaxKind.VariableDeclaration)) {
    const init = d.getInitializer();
    if (init && Node.isCallExpression(init) && init.getExpression().getText() === 'postgres') names.add(d.getName());
  }
  for (const c of env.nodes.ofKind(SyntaxKind.CallExpression)) {
    const callee = c.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || !/^(begin|savepoint)$/.test(callee.getName())) continue;
    for (const a of c.getArguments()) {
      if (!Node.isArrowFunction(a) && !Node.isFunctionExpression(a)) continue;
      const first = a.getParameters()[0];
      if (first) names.add(first.getName());
    }
  }
  return names;
}

const cache = new FileMemo<Env, Set<string>>();
const handlesOf = (env: Env) => {
  let h = cache.get(env);
  if (!h) cache.set(env, (h = handles(env)));
  return h;
};

/** Methods of a postgres.js query that run it (`.simple()` on the simple protocol, `.values()` / `.raw()` for the rows' shape, cursors). */
const RUNNING_METHODS = new Set(['simple', 'execute', 'values', 'raw', 'cursor', 'forEach', 'readable', 'writable']);

/**
 * The expression that stands for the query `node` (itself, or the outermost chain of running
 * methods called on it: `` sql`...`.simple() ``), and whether `.simple()` is among them.
 */
function queryChain(node: CallExpression | TaggedTemplateExpression): { top: TsNode; simple: boolean } {
  let top: TsNode = node;
  let simple = false;
  for (;;) {
    const access = top.getParent();
    const call = access?.getParent();
    if (!access || !Node.isPropertyAccessExpression(access) || access.getExpression() !== top || !RUNNING_METHODS.has(access.getName()) || !call || !Node.isCallExpression(call) || call.getExpression() !== access) break;
    simple ||= access.getName() === 'simple';
    top = call;
  }
  return { top, simple };
}

/** The 42601 a second statement in a prepared statement gets, for `oneStatementOnly`. */
const ONE_STATEMENT =
  'postgres.js sends a sql`...` template as one prepared statement (the extended protocol), and PostgreSQL refuses a second statement in it: "cannot insert multiple commands into a prepared statement" (42601 syntax_error); send one statement per template, or add .simple()';

function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (env.framework !== 'postgres-js') return null;
  const { top, simple } = queryChain(node);
  if (Node.isTaggedTemplateExpression(node)) {
    const tag = node.getTag();
    if (!Node.isIdentifier(tag) || !handlesOf(env).has(tag.getText()) || isFragment(top)) return null;
    const q = templateQuery(node, env, 'raw', 'sql');
    return q && !simple ? { ...q, oneStatementOnly: ONE_STATEMENT } : q;
  }
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'unsafe' || !handlesOf(env).has(callee.getExpression().getText())) return null;
  // `sql.unsafe('now()')` inside a template is a fragment of that query, not a query.
  if (isFragment(top)) return null;
  const q = callQuery(node, env, { executor: 'raw', bindings: false });
  // With parameters (a second argument that is not an options object or `[]`) postgres.js uses the extended protocol too.
  const args = node.getArguments()[1];
  const params = !!args && !Node.isObjectLiteralExpression(args) && !(Node.isArrayLiteralExpression(args) && args.getElements().length === 0);
  return q && params && !simple ? { ...q, oneStatementOnly: ONE_STATEMENT.replace('a sql`...` template', 'a query with parameters') } : q;
}

/** Whether the phase uses its parameter as a tag, `` sql`...` ``: postgres.js's form (a pg client or pool is never a tag). */
function tagsWithParam(p: PhaseFunction): boolean {
  return !!p.param && p.fn.getDescendantsOfKind(SyntaxKind.TaggedTemplateExpression).some((t) => Node.isIdentifier(t.getTag()) && t.getTag().getText() === p.param);
}

/** How each migration tool made for postgres.js runs the migrations it calls. */
const RUNNER_TRANSACTION: Record<NonNullable<Env['runner']>['name'], string> = {
  ley: 'ley runs all pending migrations in one sql.begin transaction on one connection and passes it as their `sql`',
  'postgres-shift': 'postgres-shift runs all pending migrations in one sql.begin transaction and passes it as their `sql`',
};

export const postgresJs: FrameworkSupport = {
  framework: 'postgres-js',
  name: 'postgres.js',
  // postgres.js sends `connection` as startup parameters of every connection it opens (it has no `options: '-c ...'`).
  idioms: {
    connectionSetting: (name: string, value: string) => `postgres(url, { connection: { ${name}: '${value}' } })`,
    batchedBackfill: 'in postgres.js, a loop of sql`UPDATE ... WHERE id >= ${lo} AND id < ${hi}` over key ranges, outside sql.begin, so each batch commits on its own',
  },
  // Under ley or postgres-shift nothing in a migration commits before the whole run does.
  idiomsOf: (env) =>
    env.runner
      ? {
          ...postgresJs.idioms,
          batchedBackfill: `in a script of its own outside ${env.runner.name} (which runs every migration in the run's one transaction, so no batch would commit before the run does), a loop of sql\`UPDATE ... WHERE id >= \${lo} AND id < \${hi}\` over key ranges on a postgres() pool, each batch committing on its own`,
        }
      : undefined,
  // Outside `sql.begin`, each query takes any free connection of the pool.
  connections: 'pool',
  // An umzug migration typed `MigrationFn<Sql>` imports the type; one in JS names it by `sql.begin` / `sql.unsafe` / `sql.file`.
  // ley's and postgres-shift's JS migrations import nothing: `` sql`...` `` on the parameter names it.
  detect: { imports: /^postgres$/, byUse: { order: 45, test: (uses, phase) => uses.has('begin') || uses.has('unsafe') || uses.has('file') || tagsWithParam(phase) } },
  rawQuery,
  rawQueryOnlyInOwnUnits: true,
  // `sql.file('x.sql')` runs a file miglint does not read here.
  runsSql: (call, receiver, method, env) => env.framework === 'postgres-js' && (method === 'file' || method === 'unsafe') && handlesOf(env).has(receiver.getText()) && !!call,
  wrapped: (env) =>
    env.runner
      ? { inTransaction: true, reason: `${RUNNER_TRANSACTION[env.runner.name]}, per ${env.runner.detectedBy}` }
      : { inTransaction: false, reason: 'postgres.js runs each query in autocommit on any connection of its pool unless the code uses sql.begin(...); umzug adds no transaction' },
  rawStatement(env, phase) {
    if (!env.runner || !phase.param) return null;
    const param = phase.param;
    return { awaits: true, code: (sql) => `await ${param}\`${templateBody(sql)}\`` };
  },
};

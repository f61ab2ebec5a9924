/**
 * postgres.js (`import postgres from 'postgres'`): `` sql`...` `` tagged templates (a `${value}`
 * is a bind parameter), `sql.unsafe(text)` and `sql.file(path)`, on the handle the migration
 * is given (an umzug context) or one made with `postgres(...)`, and `sql.begin(async (tx) => ...)`.
 *
 * postgres.js adds no transaction of its own, nor does umzug: each query outside `sql.begin`
 * runs in autocommit on whichever connection of the pool is free, so a `SET lock_timeout`
 * there may not reach the next query; `sql.begin` reserves one connection and wraps its
 * callback in `BEGIN` / `COMMIT` (recognised as a managed callback by transactions.ts).
 */
import type { CallExpression, TaggedTemplateExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import { callQuery, isFragment, templateQuery, type RawQuery } from './queries.js';
import type { Env, FrameworkSupport } from './types.js';

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

const cache = new WeakMap<Env, Set<string>>();
const handlesOf = (env: Env) => {
  let h = cache.get(env);
  if (!h) cache.set(env, (h = handles(env)));
  return h;
};

function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (env.framework !== 'postgres-js') return null;
  if (Node.isTaggedTemplateExpression(node)) {
    const tag = node.getTag();
    if (!Node.isIdentifier(tag) || !handlesOf(env).has(tag.getText()) || isFragment(node)) return null;
    return templateQuery(node, env, 'raw', 'sql');
  }
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getName() !== 'unsafe' || !handlesOf(env).has(callee.getExpression().getText())) return null;
  if (isFragment(node)) return null;
  return callQuery(node, env, { executor: 'raw', bindings: false });
}

export const postgresJs: FrameworkSupport = {
  framework: 'postgres-js',
  name: 'postgres.js',
  idioms: { batchedBackfill: 'in postgres.js, a loop of sql`UPDATE ... WHERE id >= ${lo} AND id < ${hi}` over key ranges, outside sql.begin, so each batch commits on its own' },
  // Outside `sql.begin`, each query takes any free connection of the pool.
  connections: 'pool',
  // An umzug migration typed `MigrationFn<Sql>` imports the type; one in JS names it by `sql.begin` / `sql.unsafe` / `sql.file`.
  detect: { imports: /^postgres$/, byUse: { order: 45, test: (uses) => uses.has('begin') || uses.has('unsafe') || uses.has('file') } },
  rawQuery,
  // `sql.file('x.sql')` runs a file miglint does not read here.
  runsSql: (call, receiver, method, env) => env.framework === 'postgres-js' && (method === 'file' || method === 'unsafe') && handlesOf(env).has(receiver.getText()) && !!call,
  wrapped: () => ({ inTransaction: false, reason: 'postgres.js runs each query in autocommit on any connection of its pool unless the code uses sql.begin(...); umzug adds no transaction' }),
};

/**
 * Raw-query calls whose SQL miglint cannot reconstruct: the argument is a
 * parameter or a variable assigned elsewhere, a function's result, or a
 * concatenation with no literal part. Such a call is reported as not analysed
 * (`unanalyzable-statement`), never skipped.
 *
 * Only calls that certainly execute SQL count, so that an unrelated
 * `router.query(x)` is never reported: a query method of the migration's own
 * handle (the `up`/`down` function's parameter: `queryRunner.query`,
 * `knex.raw`, `knex.schema.raw`, `pgm.sql`, `pgm.db.query`,
 * `queryInterface.sequelize.query`, `client.query`, migrun's `ctx.sql/ddl/dml/index`),
 * of a connection or transaction the code opens (`pool.connect()`,
 * `createQueryRunner()`, `knex.transaction()`), or of a managed transaction's
 * callback parameter (`knex.transaction(async (trx) => trx.raw(x))`), and
 * Kysely's `sql.raw(x).execute(db)`.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { unwrap } from './literals.js';
import { isFragment } from './queries.js';
import { findOpenings } from './sessions.js';
import { phaseOf } from './shape.js';
import { managedCallback } from './transactions.js';
import type { Env } from './types.js';

/** Query methods whose first argument is the SQL text, on a handle known to run SQL. */
const SQL_METHODS = new Set(['query', 'raw', 'sql']);

export interface UnknownSql {
  /** The call as the user would name it, e.g. `knex.raw(...)`. */
  call: string;
  /** Where the SQL comes from, e.g. "the result of `readFileSync(...)`"; for a file runner, where the path comes from. */
  source: string;
  /** The call runs the SQL file its argument names (postgres.js's `sql.file(path)`), rather than SQL text. */
  file?: boolean;
}

/** Shortens code for a message: whitespace collapsed, at most about 40 characters. */
function code(n: Node): string {
  const text = n.getText().replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Says where a value the frontend cannot read comes from (following at most a few const names). */
function describe(arg: Node, env: Env, depth = 0): string {
  const n = unwrap(arg);
  if (Node.isAwaitExpression(n)) return describe(n.getExpression(), env, depth);
  if (Node.isCallExpression(n)) return `the result of \`${code(n.getExpression())}(...)\``;
  if (Node.isBinaryExpression(n)) return `a concatenation of values miglint cannot know (\`${code(n)}\`)`;
  if (Node.isIdentifier(n)) {
    const init = depth < 4 ? env.consts.resolve(n) : undefined;
    if (init) return `\`${n.getText()}\`, a const holding ${describe(init, env, depth + 1)}`;
    return `\`${n.getText()}\`, a parameter or variable whose value is assigned elsewhere`;
  }
  if (Node.isPropertyAccessExpression(n) || Node.isElementAccessExpression(n)) return `\`${code(n)}\`, a value from elsewhere`;
  return `\`${code(n)}\`, an expression miglint cannot evaluate`;
}

/** Names bound by a managed transaction callback around `node` (`trx` in `knex.transaction(async (trx) => ...)`). */
function managedBindings(node: Node): Set<string> {
  const out = new Set<string>();
  for (let a: Node | undefined = node.getParent(); a; a = a.getParent()) {
    if (!Node.isArrowFunction(a) && !Node.isFunctionExpression(a)) continue;
    const call = a.getParent();
    if (!call || !Node.isCallExpression(call) || managedCallback(call) !== a) continue;
    const first = a.getParameters()[0]?.getNameNode();
    if (first && Node.isIdentifier(first)) out.add(first.getText());
  }
  return out;
}

/** The identifier a receiver chain starts from (`pgm` in `pgm.db`, `queryInterface` in `queryInterface.sequelize`). */
function rootOf(receiver: Node): string | null {
  let cur = unwrap(receiver);
  while (Node.isPropertyAccessExpression(cur) || Node.isNonNullExpression(cur)) cur = unwrap(cur.getExpression());
  return Node.isIdentifier(cur) ? cur.getText() : null;
}

/** Whether `receiver.method(...)` is a call the framework (or an opened session) runs SQL with. */
function runsSql(call: CallExpression, receiver: Node, method: string, env: Env): boolean {
  // The framework modules' own SQL-running calls (migrun's ctx executors, Kysely's sql.raw(x).execute(db), ...).
  for (const f of env.frameworks) if (f.runsSql?.(call, receiver, method, env)) return true;
  if (method === 'raw' && Node.isIdentifier(receiver) && receiver.getText() === 'sql') return false;
  if (!SQL_METHODS.has(method)) return false;
  const root = rootOf(receiver);
  if (root === null) return false;
  const phase = env.phases.find((p) => p.phase === phaseOf(call, env.phases));
  if (phase && phase.param === root) return true;
  if (findOpenings(env).some((o) => o.name === root)) return true;
  return managedBindings(call).has(root);
}

/**
 * A call that runs SQL miglint cannot reconstruct, or null: not such a call, a
 * fragment of another query, or SQL the frontend can read (`rawQueryOf` handles it).
 */
export function unknownSqlOf(node: Node, env: Env): UnknownSql | null {
  if (!Node.isCallExpression(node)) return null;
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return null;
  const method = callee.getName();
  const receiver = callee.getExpression();
  if (!runsSql(node, receiver, method, env)) return null;
  if (isFragment(node)) return null;
  let arg = node.getArguments()[0];
  if (!arg) return null;
  arg = unwrap(arg);
  if (env.framework === 'postgres-js' && method === 'file') {
    const path = Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg) ? `\`${arg.getLiteralText()}\`` : describe(arg, env);
    return { call: `${code(receiver)}.file(...)`, source: path, file: true };
  }
  if (Node.isObjectLiteralExpression(arg)) {
    // pg: client.query({ text, values })
    const text = arg.getProperty('text');
    if (!text) return null;
    arg = Node.isPropertyAssignment(text) ? text.getInitializer() : Node.isShorthandPropertyAssignment(text) ? text.getNameNode() : undefined;
    if (!arg) return null;
  }
  return { call: `${code(receiver)}.${method}(...)`, source: describe(arg, env) };
}

/**
 * Raw SQL calls. Each framework module may recognise its own first
 * (`FrameworkSupport.rawQuery`: migrun's `ctx.sql/ddl/dml/index`, Kysely's
 * renamed `sql` tag, db-migrate's `db.runSql`, slonik's `pool.query(sql...)`);
 * then the calls every library spells alike: `queryRunner.query`, `knex.raw`,
 * `knex.schema.raw`, `trx.raw`, `pgm.sql`, `pgm.db.query`,
 * `queryInterface.sequelize.query`, `client.query`, `pool.query`, `db.query`,
 * `sql.unsafe(...)`, and the `` sql`...` `` tag (Kysely's `.execute(db)`, postgres.js).
 */
import type { CallExpression, TaggedTemplateExpression, ts as Ts } from 'ts-morph';
import { Node, ts } from './morph.js';
import type { Executor } from '../../core/unit.js';
import { applyBindings } from './bindings.js';
import { literalSourceOf, sqlSourceOf, unwrap, type SqlSource } from './literals.js';
import type { Env, FrameworkSupport } from './types.js';

export interface RawQuery {
  sql: SqlSource;
  executor: Executor;
  /** The receiver's text (`queryRunner`, `client`, `pgm.db`), or null for a tagged template. */
  receiver: string | null;
  method: string;
  /**
   * Set when the library sends the SQL as one prepared statement (postgres.js's `` sql`...` ``
   * without `.simple()`): PostgreSQL refuses a second statement in it, and this says so.
   */
  oneStatementOnly?: string;
}

const QUERY_METHODS = new Set(['query', 'raw', 'sql', 'unsafe']);
/** Methods whose call can be a fragment of another query (`defaultTo(knex.raw('now()'))`). */
const FRAGMENT_METHODS = new Set(['raw', 'unsafe']);
const PROMISE_COMBINATORS = /^Promise\.(all|allSettled|race|any)$/;

/** A raw SQL call or tagged template, or null: the framework modules' own recognition first, in frameworks.ts order. */
export function rawQueryOf(node: Node, env: Env): RawQuery | null {
  if (!Node.isCallExpression(node) && !Node.isTaggedTemplateExpression(node)) return null;
  for (const f of env.frameworks) {
    const q = f.rawQuery?.(node, env);
    if (q) return q;
  }
  if (Node.isCallExpression(node)) {
    // The callee read on the compiler's nodes: no wrappers for the callee of every call of the file.
    const callee = node.compilerNode.expression;
    if (!ts.isPropertyAccessExpression(callee)) return null;
    const method = callee.name.getText(node.getSourceFile().compilerNode);
    if (!QUERY_METHODS.has(method)) return null;
    if (FRAGMENT_METHODS.has(method) && isFragment(node)) return null;
    return callQuery(node, env, { executor: 'raw', bindings: true });
  }
  if (env.frameworks.some((f) => f.framework === env.framework && f.templatesAreFragments)) return null;
  const tag = node.getTag();
  const name = Node.isPropertyAccessExpression(tag) ? tag.getName() : tag.getText();
  if (name !== 'sql' || isFragment(node)) return null;
  return templateQuery(node, env, 'raw', 'sql');
}

/**
 * Whether no module's `rawQuery` hook can claim a method call of this unit (each says so with
 * `rawQueryOnlyInOwnUnits`, and the unit is another framework's): then `plainRawQuery` may read
 * its plain queries. The same for every call of a unit: asked once per unit.
 */
export function plainQueriesReadable(env: Env): boolean {
  return !env.frameworks.some((f) => f.rawQuery && !(f.rawQueryOnlyInOwnUnits && f.framework !== env.framework));
}

/**
 * The query of a method call that the generic recognition reads as it stands, read on the
 * compiler's nodes (no wrapper for the call or its parents): `receiver.query('...')`, a method of
 * QUERY_METHODS that builds no fragment, with one argument, a plain literal (`literalSourceOf`),
 * where the framework's builder cannot claim it (`builderMayClaim`). Ask only in a unit where
 * `plainQueriesReadable` holds. The RawQuery `rawQueryOf` gives for such a call; null for any
 * other (ask `rawQueryOf`).
 */
export function plainRawQuery(call: Ts.CallExpression, env: Env, support: FrameworkSupport): RawQuery | null {
  const callee = call.expression;
  if (!ts.isPropertyAccessExpression(callee) || call.arguments.length !== 1) return null;
  const file = env.nodes.file;
  const method = callee.name.getText(file);
  if (!QUERY_METHODS.has(method) || FRAGMENT_METHODS.has(method)) return null;
  if (support.builder && support.builderMayClaim?.(method, env) !== false) return null;
  const sql = literalSourceOf(call.arguments[0]!, file);
  // callQuery's reading: no bindings without a second argument.
  return sql && { sql, executor: 'raw', receiver: callee.expression.getText(file), method };
}

/**
 * The SQL of a query call `receiver.method(sqlArg, ...)`: its first argument (or a pg
 * config object's `text`), read as a literal, template or same-file const; null when
 * it cannot be read. `bindings` applies the library's `?` / `:name` bindings (bindings.ts).
 */
export function callQuery(node: CallExpression, env: Env, o: { executor: Executor; bindings: boolean; arg?: number }): RawQuery | null {
  const callee = node.compilerNode.expression;
  if (!ts.isPropertyAccessExpression(callee)) return null;
  const file = node.getSourceFile().compilerNode;
  const method = callee.name.getText(file);
  // Only an argument that is not a plain literal gets a wrapper (`getArguments()` would make one for each).
  const first = node.compilerNode.arguments[o.arg ?? 0];
  if (!first) return null;
  const found = literalSourceOf(first, file) ?? objectOrExpressionSource(env.nodes.node(first), env);
  if (!found) return null;
  const sql = o.bindings ? applyBindings(found, node, method, env) : found;
  return { sql, executor: o.executor, receiver: callee.expression.getText(file), method };
}

/** The SQL of a query argument that is no plain literal: an expression, or a pg config object's `text`. */
function objectOrExpressionSource(expr: Node, env: Env): SqlSource | null {
  let arg: Node | undefined = unwrap(expr);
  if (Node.isObjectLiteralExpression(arg)) {
    // pg: client.query({ text: 'SELECT ...', values })
    const text = arg.getProperty('text');
    arg = text && Node.isPropertyAssignment(text) ? text.getInitializer() : undefined;
    if (!arg) return null;
  }
  return sqlSourceOf(arg, env.consts);
}

/** The SQL of a tagged template query (`` sql`...` ``), or null when the template cannot be read. */
export function templateQuery(node: TaggedTemplateExpression, env: Env, executor: Executor, method: string): RawQuery | null {
  const sql = sqlSourceOf(node.getTemplate(), env.consts);
  return sql ? { sql, executor, receiver: null, method } : null;
}

/**
 * Whether a raw call or `sql` template only builds part of another query: an
 * argument of another call (other than `Promise.all` and friends), a `${}`
 * substitution, or a value stored or returned for later use.
 */
export function isFragment(node: Node): boolean {
  let child: Node = node;
  let parent = node.getParent();
  while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isArrayLiteralExpression(parent))) {
    child = parent;
    parent = parent.getParent();
  }
  if (!parent) return false;
  if (Node.isTemplateSpan(parent)) return true;
  if (Node.isPropertyAccessExpression(parent)) {
    // `sql\`...\`.execute(db)` runs; `sql\`...\`.as('x')` builds.
    return !/^(execute|executeTakeFirst|executeTakeFirstOrThrow|then|catch|finally)$/.test(parent.getName());
  }
  if (Node.isCallExpression(parent) && parent.getArguments().includes(child as never)) {
    return !PROMISE_COMBINATORS.test(parent.getExpression().getText());
  }
  return Node.isVariableDeclaration(parent) || Node.isPropertyAssignment(parent);
}

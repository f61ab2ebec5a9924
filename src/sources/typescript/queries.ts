/**
 * Raw SQL calls, whatever the framework: `queryRunner.query`, `knex.raw`,
 * `knex.schema.raw`, `trx.raw`, `pgm.sql`, `pgm.db.query`,
 * `queryInterface.sequelize.query`, `client.query`, `pool.query`, `db.query`,
 * kysely's `` sql`...`.execute(db) `` and `sql.raw(...).execute(db)`, and
 * migrun's `ctx.sql/ddl/dml/index`.
 */
import { Node } from './morph.js';
import type { Executor } from '../../core/unit.js';
import { applyBindings } from './bindings.js';
import { sqlSourceOf, unwrap, type SqlSource } from './literals.js';
import { moduleSpecifier } from './shape.js';
import type { Env } from './types.js';

export interface RawQuery {
  sql: SqlSource;
  executor: Executor;
  /** The receiver's text (`queryRunner`, `client`, `pgm.db`), or null for a tagged template. */
  receiver: string | null;
  method: string;
}

export const MIGRUN_EXECUTORS: Record<string, Executor> = { sql: 'migrun-sql', ddl: 'migrun-ddl', dml: 'migrun-dml', index: 'migrun-index' };
const QUERY_METHODS = new Set(['query', 'raw', 'sql', 'unsafe']);
/** Methods whose call can be a fragment of another query (`defaultTo(knex.raw('now()'))`). */
const FRAGMENT_METHODS = new Set(['raw', 'unsafe']);
const PROMISE_COMBINATORS = /^Promise\.(all|allSettled|race|any)$/;

/** A raw SQL call or tagged template, or null. */
export function rawQueryOf(node: Node, env: Env): RawQuery | null {
  if (Node.isCallExpression(node)) {
    const callee = node.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return null;
    const method = callee.getName();
    const receiver = callee.getExpression();
    const migrun = env.framework === 'migrun' && method in MIGRUN_EXECUTORS && isMigrunContext(receiver, env);
    if (!migrun && !QUERY_METHODS.has(method)) return null;
    if (FRAGMENT_METHODS.has(method) && isFragment(node)) return null;
    let arg = node.getArguments()[0];
    if (!arg) return null;
    arg = unwrap(arg);
    if (Node.isObjectLiteralExpression(arg)) {
      // pg: client.query({ text: 'SELECT ...', values })
      const text = arg.getProperty('text');
      arg = text && Node.isPropertyAssignment(text) ? text.getInitializer() : undefined;
      if (!arg) return null;
    }
    const found = sqlSourceOf(arg, env.consts);
    if (!found) return null;
    const sql = migrun ? found : applyBindings(found, node, method, env);
    return { sql, executor: migrun ? MIGRUN_EXECUTORS[method]! : 'raw', receiver: receiver.getText(), method };
  }
  if (Node.isTaggedTemplateExpression(node)) {
    const tag = node.getTag();
    let executor: Executor = 'raw';
    let method = 'sql';
    if (Node.isPropertyAccessExpression(tag)) {
      method = tag.getName();
      if (env.framework === 'migrun' && method in MIGRUN_EXECUTORS && isMigrunContext(tag.getExpression(), env)) executor = MIGRUN_EXECUTORS[method]!;
      else if (method !== 'sql') return null;
    } else if (tag.getText() !== 'sql' && !sqlTagAliases(env).has(tag.getText())) return null;
    if (executor === 'raw' && isFragment(node)) return null;
    const sql = sqlSourceOf(node.getTemplate(), env.consts);
    if (!sql) return null;
    return { sql, executor, receiver: null, method };
  }
  return null;
}

const aliases = new WeakMap<Env, Set<string>>();

/** Local names of kysely's `sql` tag imported under another name (`import { sql as kyselySql } from 'kysely'`). */
export function sqlTagAliases(env: Env): Set<string> {
  let set = aliases.get(env);
  if (!set) {
    set = new Set();
    for (const d of env.sf.getImportDeclarations()) {
      if (moduleSpecifier(d) !== 'kysely') continue;
      for (const n of d.getNamedImports()) if (n.getName() === 'sql' && n.getAliasNode()) set.add(n.getAliasNode()!.getText());
    }
    aliases.set(env, set);
  }
  return set;
}

/** Whether `receiver` is migrun's context (the phase's parameter, or a conventional name). */
export function isMigrunContext(receiver: Node, env: Env): boolean {
  if (!Node.isIdentifier(receiver)) return false;
  const name = receiver.getText();
  return env.phases.some((p) => p.param === name) || /^(ctx|context|migrun|m)$/.test(name);
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

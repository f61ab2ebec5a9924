/**
 * MikroORM: a class extending `Migration` (`@mikro-orm/migrations`) whose `up()` /
 * `down()` queue SQL with `this.addSql(sql)` (a string, or a knex builder from
 * `this.getKnex()`) and may run it at once with `this.execute(sql)`.
 *
 * MikroORM's MigrationRunner calls the phase, then sends the queued queries one by one,
 * in order. With `migrations.transactional` (the default) and `isTransactional()` true
 * (the default), it sends them inside a transaction of their own, nested in the master
 * transaction that by default (`allOrNothing`) holds every pending migration; a class
 * whose `isTransactional()` returns false runs outside both, each query on whichever
 * pooled connection the driver picks (a `SET` there may not reach the next query).
 * `this.execute(...)` runs when called, that is before every queued `addSql` query.
 */
import type { CallExpression, ClassDeclaration, ClassExpression, MethodDeclaration, TaggedTemplateExpression } from 'ts-morph';
import type { Edit } from '../../core/diagnostic.js';
import { indentUnit, lineIndent, lineStart, startWithComments } from './edits.js';
import { Node, SyntaxKind } from './morph.js';
import { callQuery, type RawQuery } from './queries.js';
import type { Env, FrameworkSupport } from './types.js';

const QUERIES = new Set(['addSql', 'execute']);

const CAVEAT =
  "with `isTransactional()` false MikroORM runs this migration outside its transaction and outside the master transaction of the pending migrations: a failure part-way leaves the earlier statements applied, and each query may run on another pooled connection";

function migrationClass(env: Env): ClassDeclaration | ClassExpression | null {
  for (const p of env.phases) {
    const parent = p.fn.getParent();
    if (parent && (Node.isClassDeclaration(parent) || Node.isClassExpression(parent))) return parent;
  }
  return null;
}

function isTransactionalMethod(env: Env): MethodDeclaration | undefined {
  return migrationClass(env)?.getMethod('isTransactional');
}

/** What `isTransactional()` returns: a literal boolean, 'runtime' for anything else, 'default' when the class does not override it. */
function transactionalValue(m: MethodDeclaration | undefined): boolean | 'runtime' | 'default' {
  if (!m) return 'default';
  const stmts = m.getBody() && Node.isBlock(m.getBody()!) ? (m.getBody() as import('ts-morph').Block).getStatements() : [];
  if (stmts.length === 1 && Node.isReturnStatement(stmts[0]!)) {
    const e = stmts[0].getExpression();
    if (e && e.getKind() === SyntaxKind.FalseKeyword) return false;
    if (e && e.getKind() === SyntaxKind.TrueKeyword) return true;
  }
  return 'runtime';
}

/** `this.addSql(sql)` / `this.execute(sql)` in a MikroORM migration. */
function thisCall(node: CallExpression, env: Env): string | null {
  if (env.framework !== 'mikro-orm') return null;
  const callee = node.getExpression();
  if (!Node.isPropertyAccessExpression(callee) || callee.getExpression().getKind() !== SyntaxKind.ThisKeyword) return null;
  return QUERIES.has(callee.getName()) ? callee.getName() : null;
}

function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (!Node.isCallExpression(node) || !thisCall(node, env)) return null;
  const q = callQuery(node, env, { executor: 'raw', bindings: false });
  // No receiver: the queries run on the migration's transaction (see `connections`), not on `this`.
  return q ? { ...q, receiver: null } : null;
}

export const mikroOrm: FrameworkSupport = {
  framework: 'mikro-orm',
  name: 'MikroORM',
  idioms: { batchedBackfill: 'in MikroORM, a loop of this.execute(...) over key ranges in a migration whose isTransactional() returns false' },
  // The queued queries share the migration's transaction when it has one, and only then.
  connections: 'wrapped-handle',
  detect: { imports: /^@mikro-orm\/migrations(\/|$)/ },
  rawQuery,
  rawQueryOnlyInOwnUnits: true,
  // `this.addSql(knex.schema...)`: SQL, even when it cannot be read.
  runsSql: (call, _receiver, _method, env) => thisCall(call, env) !== null,
  wrapped(env) {
    const value = transactionalValue(isTransactionalMethod(env));
    if (value === false) return { inTransaction: false, reason: '`isTransactional()` returns false on the migration class', switchCaveat: CAVEAT };
    if (value === 'runtime') {
      return { inTransaction: true, reason: "MikroORM runs each migration in a transaction unless the class's `isTransactional()` returns false when it runs", runtimeSwitch: 'isTransactional()', switchCaveat: CAVEAT };
    }
    return {
      inTransaction: true,
      reason: 'MikroORM runs each migration in a transaction, by default inside one master transaction for all pending migrations (unless the configuration sets `migrations.transactional: false`: set `assumeInTransaction: false` then)',
      switchCaveat: CAVEAT,
    };
  },
  /** Makes `isTransactional()` return false: rewrites an override, or adds one as the class's first member. */
  disableTransaction(env): Edit[] | null {
    const cls = migrationClass(env);
    if (!cls) return null;
    const m = isTransactionalMethod(env);
    const value = transactionalValue(m);
    if (value === false) return [];
    const eol = env.source.eol;
    const unit = indentUnit(env.text);
    if (m) {
      const body = m.getBody();
      if (!body) return null;
      const indent = lineIndent(env.text, m.getStart());
      return [{ start: body.getStart(), end: body.getEnd(), text: `{${eol}${indent}${unit}return false;${eol}${indent}}` }];
    }
    const signature = env.language === 'ts' ? 'override isTransactional(): boolean' : 'isTransactional()';
    const first = cls.getMembers()[0];
    if (!first) return null;
    const at = startWithComments(first);
    const start = lineStart(env.text, at);
    if (!/^[ \t]*$/.test(env.text.slice(start, at))) return null;
    const indent = lineIndent(env.text, at);
    return [{ start, end: start, text: `${indent}${signature} {${eol}${indent}${unit}return false;${eol}${indent}}${eol}${eol}` }];
  },
  rawStatement() {
    // Queued first, so it is sent before the phase's other addSql queries.
    return { awaits: false, code: (sql, quote) => `this.addSql(${quote(sql)})` };
  },
};

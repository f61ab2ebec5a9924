/**
 * knex: `exports.up = function (knex)` or `export async function up(knex: Knex)`.
 * knex runs each migration in a transaction unless the module exports
 * `config = { transaction: false }`. Schema builder calls
 * (`knex.schema.createTable/alterTable/table/dropTable`, and the table
 * builder's `t.index/unique/foreign/dropIndex/...` and column methods) are
 * translated into the PostgreSQL statements knex's pg dialect sends.
 */
import type { CallExpression, ObjectLiteralExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import type { Edit } from '../../core/diagnostic.js';
import { Values, methodCall, qname } from './sqlgen.js';
import { sourceOf } from './session-fix.js';
import { unwrap } from './literals.js';
import { isCallback } from './transactions.js';
import { cover, planTable, qualified, type TableContext } from './knex-table.js';
import { lineIndent, lineStart, replacer, usesSemicolons } from './edits.js';
import { switchText, switchValue } from './switches.js';
import type { BuilderHooks, BuiltSql, Env, FrameworkSupport } from './types.js';
import { knexDml } from './dml-knex.js';

/** What replacing one table-builder call by `knex.raw(...)` needs: the schema call, its callback, and `knex`. */
interface HookContext {
  schemaCall: CallExpression;
  callback: Node;
  root: string;
  env: Env;
}

/** `knex.schema` / `knex.schema.withSchema('s')` under a call's receiver: the schema and `knex`'s text, or null. */
function isSchemaChain(n: Node): { schema: string | null; root: string } | null {
  let cur: Node = n;
  let schema: string | null = null;
  for (let i = 0; i < 20; i++) {
    if (Node.isPropertyAccessExpression(cur)) {
      if (cur.getName() === 'schema') return { schema, root: cur.getExpression().getText() };
      cur = cur.getExpression();
    } else if (Node.isCallExpression(cur)) {
      const mc = methodCall(cur);
      if (mc?.method === 'withSchema') schema = cur.getArguments()[0]?.getText().replace(/^['"`]|['"`]$/g, '') ?? null;
      cur = cur.getExpression();
    } else return null;
  }
  return null;
}

/**
 * Replacing one table-builder call by `knex.raw(...)`: the whole schema call when
 * it is the callback's only statement, else the call's line is deleted and the
 * raw query goes after the statement holding the schema call.
 */
function innerHooks(ctx: HookContext, outer: CallExpression): BuilderHooks | undefined {
  const { env, root, schemaCall } = ctx;
  const body = Node.isArrowFunction(ctx.callback) || Node.isFunctionExpression(ctx.callback) ? ctx.callback.getBody() : undefined;
  const stmt = outer.getParent();
  const only = body === outer || (!!body && Node.isBlock(body) && body.getStatements().length === 1 && body.getStatements()[0] === stmt);
  const make = (sql: string, quote: (s: string) => string) => `${root}.raw(${quote(sql)})`;
  if (only) return { replaceWithRaw: replacer(schemaCall.getStart(), schemaCall.getEnd(), make) };
  if (!stmt || !Node.isExpressionStatement(stmt)) return undefined;
  const holder = schemaCall.getFirstAncestor((a) => Node.isStatement(a) && !!a.getParent() && Node.isBlock(a.getParent()!));
  if (!holder || Node.isReturnStatement(holder)) return undefined;
  const text = env.text;
  let start = stmt.getStart();
  let end = stmt.getEnd();
  const ls = lineStart(text, start);
  const rest = /^[ \t]*(\r?\n)/.exec(text.slice(end));
  if (/^[ \t]*$/.test(text.slice(ls, start)) && rest) {
    start = ls;
    end += rest[0].length;
  }
  const at = holder.getEnd();
  const awaits = !!schemaCall.getParent() && Node.isAwaitExpression(schemaCall.getParent()!);
  const indent = lineIndent(text, holder.getStart());
  const eol = env.source.eol;
  return {
    replaceWithRaw: (sql, quote) => [
      { start, end, text: '' },
      { start: at, end: at, text: `${eol}${indent}${awaits ? 'await ' : ''}${make(sql, quote)};` },
    ],
  };
}

/** The table builder calls (`t.x(...)`) of a createTable/alterTable callback, in order. */
function tableBuilderCalls(cb: Node | undefined): CallExpression[] {
  if (!cb || !(Node.isArrowFunction(cb) || Node.isFunctionExpression(cb))) return [];
  const param = cb.getParameters()[0]?.getName();
  if (!param) return [];
  const out: CallExpression[] = [];
  cb.forEachDescendant((n) => {
    if (!Node.isCallExpression(n)) return;
    const callee = n.getExpression();
    if (Node.isPropertyAccessExpression(callee) && callee.getExpression().getText() === param) out.push(n);
  });
  return out;
}

/**
 * The IF [NOT] EXISTS form of a schema method, which knex spells as another method:
 * `dropTable` → `dropTableIfExists`, `createSchema` → `createSchemaIfNotExists`, `dropSchema` →
 * `dropSchemaIfExists`, and `createTable` → `createTableIfNotExists` only for a table whose
 * builder sends nothing after the CREATE TABLE: knex logs a deprecation warning for that method
 * because the ALTER TABLE / CREATE INDEX queries that follow for the columns are not skipped.
 */
const IF_EXISTS_METHODS: Record<string, { option: string; method: string }> = {
  createTable: { option: 'ifNotExists', method: 'createTableIfNotExists' },
  dropTable: { option: 'ifExists', method: 'dropTableIfExists' },
  createSchema: { option: 'ifNotExists', method: 'createSchemaIfNotExists' },
  dropSchema: { option: 'ifExists', method: 'dropSchemaIfExists' },
};

/** A `setOptions` hook renaming the call's method to its IF [NOT] EXISTS form, when knex has one. */
function renamer(call: CallExpression, method: string): Pick<BuilderHooks, 'setOptions'> {
  const to = IF_EXISTS_METHODS[method];
  const callee = call.getExpression();
  if (!to || !Node.isPropertyAccessExpression(callee)) return {};
  const name = callee.getNameNode();
  const edit = { start: name.getStart(), end: name.getEnd(), text: to.method };
  return { setOptions: (options) => (options[to.option] === true && Object.keys(options).every((k) => k === to.option) ? [{ ...edit }] : null) };
}

function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc) return null;
  const chain = isSchemaChain(mc.receiver);
  if (!chain) return null;
  const v = new Values(env);
  const args = call.getArguments();
  const qualify = (t: string) => (chain.schema ? `${chain.schema}.${t}` : t);
  const hooks: BuilderHooks = { replaceWithRaw: replacer(call.getStart(), call.getEnd(), (sql, quote) => `${chain.root}.raw(${quote(sql)})`) };
  const rename = renamer(call, mc.method);
  const whole = (sql: string): BuiltSql => ({ ...v.built(sql, call), hooks });
  switch (mc.method) {
    case 'createTable':
    case 'createTableIfNotExists':
    case 'alterTable':
    case 'table': {
      const creating = mc.method.startsWith('create');
      const hookCtx: HookContext = { schemaCall: call, callback: args[1] ?? call, root: chain.root, env };
      const ctx: TableContext = { table: v.name(args[0]), schema: chain.schema, creating, v, hooksFor: (outer) => innerHooks(hookCtx, outer) };
      const unknown: BuiltSql[] = [];
      const plan = planTable(ctx, tableBuilderCalls(args[1]), (c, method) =>
        unknown.push({
          sql: '',
          span: { start: c.getStart(), end: c.getEnd() },
          interpolated: true,
          unanalysed: {
            message: `Not analysed: miglint does not know the SQL knex sends for the table builder's \`${method}(...)\`, so the call was not checked.`,
            help: 'Check the statement by hand (`.toSQL()` on the schema builder shows it); please report the call, so the translation can learn it.',
          },
        }),
      );
      const t = qualified(ctx);
      const head: BuiltSql[] = [];
      if (creating) {
        const defs = [...plan.columns.map((c) => c.sql)];
        const body = `${defs.join(', ')}${plan.primaryKey ? `, ${plan.primaryKey}` : ''}${plan.createChecks.length ? `, ${plan.createChecks.join(', ')}` : ''}`;
        head.push(whole(`create table ${mc.method === 'createTableIfNotExists' ? 'if not exists ' : ''}${t} (${body})`));
      } else if (plan.columns.length) {
        head.push(v.built(`alter table ${t} ${plan.columns.map((c) => `add column ${c.sql}`).join(', ')}`, cover(plan.columns.map((c) => c.span))));
      }
      const after = [...plan.alters, ...plan.columnQueries, ...plan.rest, ...unknown];
      // createTableIfNotExists is exact only when the CREATE TABLE is all the call sends.
      if (mc.method === 'createTable' && head[0] && !plan.createTypes.length && !after.length) head[0] = { ...head[0], hooks: { ...hooks, ...rename } };
      return [...plan.createTypes, ...head, ...after];
    }
    case 'dropTable':
    case 'dropTableIfExists':
      hooks.setOptions = rename.setOptions;
      return [whole(`drop table ${mc.method === 'dropTableIfExists' ? 'if exists ' : ''}${qname(qualify(v.name(args[0])))}`)];
    case 'renameTable':
      return [whole(`alter table ${qname(qualify(v.name(args[0])))} rename to ${qname(v.name(args[1]))}`)];
    case 'createSchema':
    case 'createSchemaIfNotExists':
      hooks.setOptions = rename.setOptions;
      return [whole(`CREATE SCHEMA${mc.method.endsWith('IfNotExists') ? ' IF NOT EXISTS' : ''} ${qname(v.name(args[0]))}`)];
    case 'dropSchema':
    case 'dropSchemaIfExists':
      hooks.setOptions = rename.setOptions;
      return [whole(`DROP SCHEMA${mc.method.endsWith('IfExists') ? ' IF EXISTS' : ''} ${qname(v.name(args[0]))}`)];
    default:
      return null;
  }
}

/** The object literal exported as knex's migration `config` (also with `as`/`satisfies` around it), if any. */
function configObject(env: Env): ObjectLiteralExpression | null {
  for (const n of env.nodes.ofKind(SyntaxKind.ObjectLiteralExpression)) {
    let parent = n.getParent();
    while (parent && (Node.isParenthesizedExpression(parent) || Node.isAsExpression(parent) || Node.isSatisfiesExpression(parent))) parent = parent.getParent();
    if (!parent) continue;
    const named =
      (Node.isVariableDeclaration(parent) && parent.getName() === 'config') ||
      (Node.isPropertyAssignment(parent) && parent.getName() === 'config') ||
      (Node.isBinaryExpression(parent) && /^(module\.)?exports\.config$/.test(parent.getLeft().getText()));
    if (named) return n;
  }
  return null;
}

/** The value node of the config's `transaction` (`{ transaction: NO_TX }`, or `{ transaction }` naming a const). */
function transactionFlag(obj: ObjectLiteralExpression | null): Node | undefined {
  const p = obj?.getProperty('transaction');
  if (p && Node.isShorthandPropertyAssignment(p)) return p.getNameNode();
  return p && Node.isPropertyAssignment(p) ? p.getInitializer() : undefined;
}

function isEsm(env: Env): boolean {
  return env.sf.getStatements().some((s) => Node.isExportDeclaration(s) || Node.isExportAssignment(s) || (Node.isModifierable(s) && s.hasModifier(SyntaxKind.ExportKeyword)));
}

export const knex: FrameworkSupport = {
  framework: 'knex',
  name: 'knex',
  idioms: {
    batchedBackfill:
      "in knex, a loop of knex.raw('UPDATE ... WHERE id IN (SELECT id FROM ... WHERE <still to do> LIMIT 1000)'), or with the builder knex('t').whereIn('id', knex('t').select('id').where(<still to do>).limit(1000)).update({...}) (knex drops a `.limit()` on the update itself on PostgreSQL), in a migration with `export const config = { transaction: false }`",
  },
  connections: 'wrapped-handle',
  detect: {
    paramType: /^(Knex|knex)\b/,
    imports: /^knex(\/|$)/,
    params: ['knex'],
    // After Kysely's (order 40), which claims the same uses when its chains show.
    byUse: { order: 41, test: (uses) => uses.has('schema') || uses.has('raw') || uses.has('fn') },
  },
  sessionKinds: { 'knex-transaction': 'knex transaction' },
  sessionCode: { 'knex-transaction': (n) => ({ rollback: `await ${n}.rollback()`, guardedRollback: `await ${n}.rollback()`, commit: `await ${n}.commit()`, release: null }) },
  // `await knex.transaction()` without a callback (the callback form is managed by knex); Sequelize's is Sequelize's.
  sessionOpening(e, awaited, env) {
    const mc = Node.isCallExpression(e) ? methodCall(e) : null;
    if (!mc || mc.method !== 'transaction' || !awaited || (e as CallExpression).getArguments().some(isCallback)) return null;
    if (/sequelize/i.test(mc.receiverText) || env.framework === 'sequelize') return null;
    return { kind: 'knex-transaction', opensTransaction: true };
  },
  // The check runs on the knex instance the transaction came from.
  moveCheck(u, check) {
    const mc = methodCall(check);
    const source = sourceOf(u);
    if (u.kind !== 'knex-transaction' || !mc || !source || unwrap(mc.receiver).getText() !== u.name) return null;
    return { path: `\`${source}.${mc.method}(...)\``, edits: [{ start: mc.receiver.getStart(), end: mc.receiver.getEnd(), text: source }] };
  },
  builder: (call, env) => knexDml(call, env) ?? translate(call, env),
  wrapped(env) {
    const flag = transactionFlag(configObject(env));
    const value = flag ? switchValue(flag, env.consts) : 'default';
    if (value === false) return { inTransaction: false, reason: '`config = { transaction: false }`' };
    if (value === 'runtime') {
      const code = `config = { transaction: ${switchText(flag!)} }`;
      return { inTransaction: true, reason: `knex runs each migration in a transaction unless \`${code}\` is false when it runs`, runtimeSwitch: code };
    }
    return { inTransaction: true, reason: 'knex runs each migration in a transaction' };
  },
  disableTransaction(env, _phase): Edit[] | null {
    const obj = configObject(env);
    const flag = transactionFlag(obj);
    if (flag && Node.isShorthandPropertyAssignment(flag.getParent()!)) return switchValue(flag, env.consts) === false ? [] : null;
    if (flag) return switchValue(flag, env.consts) === false ? [] : [{ start: flag.getStart(), end: flag.getEnd(), text: 'false' }];
    if (obj) {
      const open = obj.getStart() + 1;
      return [{ start: open, end: open, text: obj.getProperties().length ? ' transaction: false,' : ' transaction: false ' }];
    }
    const eol = env.source.eol;
    const semi = usesSemicolons(env) ? ';' : '';
    const statements = env.sf.getStatements();
    if (isEsm(env)) {
      const last = [...statements].reverse().find((s) => Node.isModifierable(s) && s.hasModifier(SyntaxKind.ExportKeyword));
      if (!last) return null;
      return [{ start: last.getEnd(), end: last.getEnd(), text: `${eol}${eol}export const config = { transaction: false }${semi}` }];
    }
    const exportsOf = (s: Node) => /^(module\.)?exports\b/.test(s.getText());
    const last = [...statements].reverse().find((s) => Node.isExpressionStatement(s) && exportsOf(s));
    if (!last) return null;
    const replaced = statements.some((s) => Node.isExpressionStatement(s) && /^module\.exports\s*=/.test(s.getText()));
    const target = replaced ? 'module.exports.config' : 'exports.config';
    return [{ start: last.getEnd(), end: last.getEnd(), text: `${eol}${eol}${target} = { transaction: false }${semi}` }];
  },
  rawStatement(_env, phase) {
    const receiver = phase.param ?? 'knex';
    return { awaits: true, code: (sql, quote) => `await ${receiver}.raw(${quote(sql)})` };
  },
};


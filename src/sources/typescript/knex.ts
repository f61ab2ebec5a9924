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
import {
  Values,
  alterTableSql,
  column,
  columnDef,
  createIndexSql,
  createTableSql,
  dropIndexSql,
  dropTableSql,
  literal,
  methodCall,
  qname,
  referencesSql,
  type ColumnSpec,
} from './sqlgen.js';
import { chainFrom, type Link } from './chains.js';
import { lineIndent, lineStart, replacer, usesSemicolons } from './edits.js';
import { switchText, switchValue } from './switches.js';
import type { BuilderHooks, BuiltSql, Env, FrameworkSupport } from './types.js';

/** knex's derived names: `table_col1_col2_<type>`, lower-cased (`_indexCommand`). */
function knexName(table: string, columns: string[], type: string): string {
  return `${table.replace(/[.-]/g, '_')}_${columns.join('_')}_${type}`.toLowerCase();
}

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

const SIMPLE_TYPES: Record<string, string> = {
  integer: 'integer', int: 'integer', bigInteger: 'bigint', biginteger: 'bigint', bigint: 'bigint', smallint: 'smallint', tinyint: 'smallint',
  mediumint: 'integer', text: 'text', boolean: 'boolean', date: 'date', time: 'time', float: 'real', double: 'double precision',
  json: 'json', jsonb: 'jsonb', uuid: 'uuid', binary: 'bytea', increments: 'serial', bigIncrements: 'bigserial', bigincrements: 'bigserial',
};

/** The SQL type of a column method call, or null if the method is not a column type. */
function columnType(v: Values, l: Link): string | null {
  const [, a1, a2] = l.args;
  switch (l.method) {
    case 'string':
      return `varchar(${v.num(a1) ?? 255})`;
    case 'decimal':
      return `decimal(${v.num(a1) ?? 8}, ${v.num(a2) ?? 2})`;
    case 'timestamp':
    case 'datetime': {
      const opts = v.props(a1);
      const noTz = opts ? v.bool(opts.get('useTz')) === false : v.bool(a1) === true;
      return noTz ? 'timestamp' : 'timestamptz';
    }
    case 'enu':
    case 'enum':
      return 'text';
    case 'specificType':
      return v.str(a1) ?? 'text';
    default:
      return SIMPLE_TYPES[l.method] ?? null;
  }
}

/** `knex.whereNotNull('x')` / `knex.whereRaw('...')` as a partial index predicate. */
function predicate(v: Values, e: Node | undefined): string | null {
  const n = e ? v.resolve(e) : undefined;
  if (!n || !Node.isCallExpression(n)) return null;
  const mc = methodCall(n);
  const arg = v.str(n.getArguments()[0]);
  if (!mc || arg === null) return null;
  if (mc.method === 'whereNotNull') return `${column(arg)} IS NOT NULL`;
  if (mc.method === 'whereNull') return `${column(arg)} IS NULL`;
  if (mc.method === 'whereRaw') return arg;
  return null;
}

interface TableContext {
  table: string;
  creating: boolean;
  v: Values;
  /** Column definitions and table constraints (CREATE TABLE only). */
  defs: string[];
  out: BuiltSql[];
  /** The `knex.schema.alterTable(...)` call, its callback, and `knex`. */
  schemaCall: CallExpression;
  callback: Node;
  root: string;
  env: Env;
}

/**
 * Replacing one table-builder call by `knex.raw(...)`: the whole schema call when
 * it is the callback's only statement, else the call's line is deleted and the
 * raw query goes after the statement holding the schema call.
 */
function innerHooks(ctx: TableContext, outer: CallExpression): BuilderHooks | undefined {
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

function fk(v: Values, links: Link[]): string | null {
  const ref = links.find((l) => l.method === 'references');
  if (!ref) return null;
  let cols = v.names(ref.args[0]);
  let table = v.str(links.find((l) => l.method === 'inTable')?.args[0]);
  if (!table && cols.length === 1 && cols[0]!.includes('.')) {
    const dot = cols[0]!.lastIndexOf('.');
    table = cols[0]!.slice(0, dot);
    cols = [cols[0]!.slice(dot + 1)];
  }
  let sql = referencesSql(table ?? 'unknown', cols);
  const onDelete = v.str(links.find((l) => l.method === 'onDelete')?.args[0]);
  const onUpdate = v.str(links.find((l) => l.method === 'onUpdate')?.args[0]);
  if (onDelete) sql += ` ON DELETE ${onDelete.toUpperCase()}`;
  if (onUpdate) sql += ` ON UPDATE ${onUpdate.toUpperCase()}`;
  return sql;
}

function columnOp(ctx: TableContext, links: Link[], type: string, outer: CallExpression): void {
  const { v, table } = ctx;
  const first = links[0]!;
  const name = first.args[0] ? v.name(first.args[0]) : first.method.endsWith('ncrements') ? 'id' : 'unknown';
  const has = (m: string) => links.some((l) => l.method === m);
  const arg = (m: string) => links.find((l) => l.method === m)?.args[0];
  const increments = /ncrements$/.test(first.method);
  const opts = increments ? v.props(first.args[1]) : null;
  const spec: ColumnSpec = {
    name,
    type,
    notNull: has('notNullable') || has('primary'),
    primaryKey: (increments && v.bool(opts?.get('primaryKey')) !== false) || has('primary'),
    default: has('defaultTo') ? v.defaultSql(arg('defaultTo')) : null,
  };
  if (first.method === 'enu' || first.method === 'enum') {
    const values = first.args[1] ? v.resolve(first.args[1]) : undefined;
    if (values && Node.isArrayLiteralExpression(values)) spec.check = `${qname(name)} IN (${values.getElements().map((e) => literal(v.str(e) ?? '')).join(', ')})`;
  }
  const ref = fk(v, links);
  if (ctx.creating) {
    if (has('unique')) spec.unique = true;
    spec.references = ref;
    ctx.defs.push(columnDef(spec));
  } else if (has('alter')) {
    const c = qname(name);
    const cmds = [`ALTER COLUMN ${c} TYPE ${type} USING (${c}::${type})`, `ALTER COLUMN ${c} ${spec.notNull ? 'SET' : 'DROP'} NOT NULL`];
    cmds.push(spec.default !== null ? `ALTER COLUMN ${c} SET DEFAULT ${spec.default}` : `ALTER COLUMN ${c} DROP DEFAULT`);
    ctx.out.push(v.built(alterTableSql(table, cmds), outer));
  } else {
    ctx.out.push(v.built(alterTableSql(table, [`ADD COLUMN ${columnDef(spec)}`]), outer));
    if (has('unique')) ctx.out.push(v.built(alterTableSql(table, [`ADD CONSTRAINT ${qname(knexName(table, [name], 'unique'))} UNIQUE (${qname(name)})`]), outer));
    if (ref) ctx.out.push(v.built(alterTableSql(table, [`ADD CONSTRAINT ${qname(knexName(table, [name], 'foreign'))} FOREIGN KEY (${qname(name)}) REFERENCES ${ref}`]), outer));
  }
  if (has('index')) {
    const idxName = v.str(arg('index')) ?? knexName(table, [name], 'index');
    ctx.out.push(v.built(createIndexSql({ name: idxName, table, columns: [name] }), outer));
  }
}

function tableOp(ctx: TableContext, first: CallExpression): void {
  const { links, outer } = chainFrom(first);
  const { v, table } = ctx;
  const l = links[0]!;
  const [a0, a1, a2] = l.args;
  const hooks = innerHooks(ctx, outer);
  const add = (sql: string) => ctx.out.push({ ...v.built(sql, outer), ...(hooks ? { hooks } : {}) });
  const constraint = (sql: string) => (ctx.creating ? ctx.defs.push(sql) : add(alterTableSql(table, [`ADD ${sql}`])));
  switch (l.method) {
    case 'index': {
      const cols = v.names(a0);
      const opts = v.props(a2);
      const method = v.str(a2) ?? v.str(opts?.get('indexType'));
      add(createIndexSql({ name: v.str(a1) ?? knexName(table, cols, 'index'), table, columns: cols, method, where: predicate(v, opts?.get('predicate')) }));
      return;
    }
    case 'unique': {
      const cols = v.names(a0);
      const opts = v.props(a1);
      const name = v.str(a1) ?? v.str(opts?.get('indexName')) ?? knexName(table, cols, 'unique');
      const where = predicate(v, opts?.get('predicate'));
      if (where || v.bool(opts?.get('useConstraint')) === false) add(createIndexSql({ name, table, columns: cols, unique: true, where }));
      else constraint(`CONSTRAINT ${qname(name)} UNIQUE (${cols.map(column).join(', ')})`);
      return;
    }
    case 'primary': {
      const cols = v.names(a0);
      const name = v.str(a1) ?? v.str(v.props(a1)?.get('constraintName')) ?? `${table}_pkey`;
      constraint(`CONSTRAINT ${qname(name)} PRIMARY KEY (${cols.map(column).join(', ')})`);
      return;
    }
    case 'foreign': {
      const cols = v.names(a0);
      const name = v.str(a1) ?? v.str(links.find((x) => x.method === 'withKeyName')?.args[0]) ?? knexName(table, cols, 'foreign');
      const ref = fk(v, links);
      if (ref) constraint(`CONSTRAINT ${qname(name)} FOREIGN KEY (${cols.map(column).join(', ')}) REFERENCES ${ref}`);
      return;
    }
    case 'check':
      constraint(`CONSTRAINT ${qname(v.str(a2) ?? `${table}_check`)} CHECK (${v.str(a0) ?? 'true'})`);
      return;
    case 'dropIndex':
      add(dropIndexSql(v.str(a1) ?? knexName(table, v.names(a0), 'index')));
      return;
    case 'dropUnique':
    case 'dropForeign': {
      const type = l.method === 'dropUnique' ? 'unique' : 'foreign';
      add(alterTableSql(table, [`DROP CONSTRAINT ${qname(v.str(a1) ?? knexName(table, v.names(a0), type))}`]));
      return;
    }
    case 'dropPrimary':
      add(alterTableSql(table, [`DROP CONSTRAINT ${qname(v.str(a0) ?? `${table}_pkey`)}`]));
      return;
    case 'dropColumn':
    case 'dropColumns': {
      const cols = l.args.flatMap((a) => v.names(a));
      if (cols.length) add(alterTableSql(table, cols.map((c) => `DROP COLUMN ${qname(c)}`)));
      return;
    }
    case 'dropTimestamps':
      add(alterTableSql(table, ['DROP COLUMN "created_at"', 'DROP COLUMN "updated_at"']));
      return;
    case 'renameColumn':
      add(alterTableSql(table, [`RENAME COLUMN ${qname(v.name(a0))} TO ${qname(v.name(a1))}`]));
      return;
    case 'setNullable':
    case 'dropNullable':
      add(alterTableSql(table, [`ALTER COLUMN ${qname(v.name(a0))} ${l.method === 'setNullable' ? 'DROP' : 'SET'} NOT NULL`]));
      return;
    case 'timestamps': {
      // knex's pg dialect makes both timestamptz; `timestamps(_, true)` makes them NOT NULL DEFAULT CURRENT_TIMESTAMP.
      const now = v.bool(a1) === true;
      for (const name of ['created_at', 'updated_at']) {
        const def = columnDef({ name, type: 'timestamptz', notNull: now, default: now ? 'CURRENT_TIMESTAMP' : null });
        if (ctx.creating) ctx.defs.push(def);
        else add(alterTableSql(table, [`ADD COLUMN ${def}`]));
      }
      return;
    }
    default: {
      const type = columnType(v, l);
      if (type) columnOp(ctx, links, type, outer);
    }
  }
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

function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc) return null;
  const chain = isSchemaChain(mc.receiver);
  if (!chain) return null;
  const v = new Values(env);
  const args = call.getArguments();
  const qualify = (t: string) => (chain.schema ? `${chain.schema}.${t}` : t);
  const hooks: BuilderHooks = { replaceWithRaw: replacer(call.getStart(), call.getEnd(), (sql, quote) => `${chain.root}.raw(${quote(sql)})`) };
  const whole = (sql: string): BuiltSql => ({ ...v.built(sql, call), hooks });
  switch (mc.method) {
    case 'createTable':
    case 'createTableIfNotExists':
    case 'alterTable':
    case 'table': {
      const creating = mc.method.startsWith('create');
      const ctx: TableContext = { table: qualify(v.name(args[0])), creating, v, defs: [], out: [], schemaCall: call, callback: args[1] ?? call, root: chain.root, env };
      for (const c of tableBuilderCalls(args[1])) tableOp(ctx, c);
      if (!creating) return ctx.out;
      return [whole(createTableSql(ctx.table, ctx.defs, mc.method === 'createTableIfNotExists')), ...ctx.out];
    }
    case 'dropTable':
    case 'dropTableIfExists':
      return [whole(dropTableSql(qualify(v.name(args[0])), { ifExists: mc.method === 'dropTableIfExists' }))];
    case 'renameTable':
      return [whole(alterTableSql(qualify(v.name(args[0])), [`RENAME TO ${qname(v.name(args[1]))}`]))];
    case 'createSchema':
    case 'createSchemaIfNotExists':
      return [whole(`CREATE SCHEMA${mc.method.endsWith('IfNotExists') ? ' IF NOT EXISTS' : ''} ${qname(v.name(args[0]))}`)];
    case 'dropSchema':
    case 'dropSchemaIfExists':
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
  builder: translate,
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


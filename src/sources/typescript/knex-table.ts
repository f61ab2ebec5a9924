/**
 * knex's table builder (`knex.schema.createTable/alterTable/table(name, (t) => ...)`)
 * translated into the statements knex's pg dialect sends, in knex's order
 * (TableCompiler.create / .alter of knex 3):
 *
 * - CREATE TABLE: one `CREATE TABLE` with every column, the table's primary key
 *   and its `check(...)`s; ALTER TABLE: one `ALTER TABLE t ADD COLUMN a ..., ADD COLUMN b ...`
 *   for every added column (its span runs from the first added column's call to the last's);
 * - then, per `.alter()`ed column: `DROP DEFAULT`, `DROP NOT NULL`, `TYPE ... USING (c::type)`,
 *   `SET DEFAULT` (with `.defaultTo`), `SET NOT NULL` (with `.notNullable()`), one statement each;
 * - then the columns' `COMMENT ON COLUMN`s;
 * - then, in call order, everything else: `unique`, `index`, `foreign`/`references`,
 *   `primary` (ALTER TABLE only), `dropColumn`, `renameColumn`, `setNullable`, ...
 *
 * Table comments (`t.comment(...)`) come in call order with the rest.
 * Native enums (`enu(c, values, { useNative: true, enumName })`) put their `CREATE TYPE` first.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import type { Span } from '../../core/diagnostic.js';
import { Values, column, literal, methodCall, qname } from './sqlgen.js';
import { chainFrom, type Link } from './chains.js';
import type { BuilderHooks, BuiltSql } from './types.js';

/** knex's derived names: `table_col1_col2_<type>`, lower-cased (`_indexCommand`; the table without its schema). */
export function knexName(table: string, columns: string[], type: string): string {
  return `${table.replace(/[.-]/g, '_')}_${columns.join('_')}_${type}`.toLowerCase();
}

const SIMPLE_TYPES: Record<string, string> = {
  integer: 'integer', int: 'integer', bigInteger: 'bigint', biginteger: 'bigint', bigint: 'bigint', smallint: 'smallint', tinyint: 'smallint',
  mediumint: 'integer', text: 'text', boolean: 'boolean', date: 'date', time: 'time', float: 'real', double: 'double precision',
  json: 'json', jsonb: 'jsonb', binary: 'bytea', geometry: 'geometry', geography: 'geography', point: 'point',
};

export interface TableContext {
  /** The table as written (`users`), and its schema from `withSchema`. */
  table: string;
  schema: string | null;
  creating: boolean;
  v: Values;
  /** Fix hooks for a statement of one table-builder call (replacing it by `knex.raw`), or undefined. */
  hooksFor: (outer: CallExpression) => BuilderHooks | undefined;
}

/** The statements of one table callback, in the groups knex sends them in. */
export interface TablePlan {
  /** The callback calls `t.primary(...)` (a column's `.primary()` on an increments column does not count). */
  hasPrimary: boolean;
  /** Column definitions (and, for CREATE TABLE, the primary key and checks) with the span of their call. */
  columns: { sql: string; span: Span }[];
  createChecks: string[];
  primaryKey: string | null;
  createTypes: BuiltSql[];
  alters: BuiltSql[];
  columnQueries: BuiltSql[];
  rest: BuiltSql[];
}

export function qualified(ctx: TableContext): string {
  return qname(ctx.schema ? `${ctx.schema}.${ctx.table}` : ctx.table);
}

function at(n: Node): Span {
  return { start: n.getStart(), end: n.getEnd() };
}

/**
 * A `defaultTo(...)` value as knex renders it (formatDefault): strings and numbers quoted
 * (`'0'`), booleans of a boolean column as `'1'`/`'0'`, `knex.fn.now()` as CURRENT_TIMESTAMP,
 * `knex.raw('...')` as written, null as `null`; anything else a placeholder (`$1`).
 */
function knexDefault(v: Values, e: Node | undefined, type: string): string {
  const n = e ? v.resolve(e) : undefined;
  if (!n) return 'null';
  if (Node.isNullLiteral(n)) return 'null';
  const s = v.str(n);
  if (type === 'boolean' && (Node.isTrueLiteral(n) || Node.isFalseLiteral(n) || s !== null || Node.isNumericLiteral(n))) {
    const truthy = Node.isTrueLiteral(n) || (s !== null ? s !== '' && s !== 'false' : Node.isNumericLiteral(n) && Number(n.getLiteralValue()) !== 0);
    return truthy ? "'1'" : "'0'";
  }
  if (s !== null) return literal(s);
  if (Node.isNumericLiteral(n) || Node.isTrueLiteral(n) || Node.isFalseLiteral(n)) return literal(n.getText());
  if (Node.isPrefixUnaryExpression(n) && Node.isNumericLiteral(n.getOperand())) return literal(n.getText());
  if (/\.fn\.now\(\s*\)$/.test(n.getText())) return 'CURRENT_TIMESTAMP';
  if (Node.isCallExpression(n)) {
    const mc = methodCall(n);
    const arg = v.str(n.getArguments()[0]);
    if (mc?.method === 'raw' && arg !== null && n.getArguments().length === 1) return arg;
  }
  v.interpolated = true;
  return '$1';
}

/** The SQL type of a column method call, or null if the method is not a column type. */
function columnType(ctx: TableContext, l: Link, plan: TablePlan, outer: CallExpression): string | null {
  const { v } = ctx;
  const [a0, a1, a2] = l.args;
  switch (l.method) {
    case 'string':
      return `varchar(${v.num(a1) ?? 255})`;
    case 'decimal':
      return a1 && Node.isNullLiteral(v.resolve(a1)) ? 'decimal' : `decimal(${v.num(a1) ?? 8}, ${v.num(a2) ?? 2})`;
    case 'timestamp':
    case 'datetime': {
      const opts = v.props(a1);
      const useTz = opts ? v.bool(opts.get('useTz')) !== false : v.bool(a1) !== true;
      const precision = opts ? v.num(opts.get('precision')) : v.num(a2);
      return `${useTz ? 'timestamptz' : 'timestamp'}${precision !== null ? `(${precision})` : ''}`;
    }
    case 'increments':
    case 'bigIncrements':
    case 'bigincrements': {
      // knex leaves out `primary key` when the table has a `primary(...)` (`_canBeAddPrimaryKey`).
      const pk = v.bool(v.props(a1)?.get('primaryKey')) !== false && !plan.hasPrimary;
      return `${l.method === 'increments' ? 'serial' : 'bigserial'}${pk ? ' primary key' : ''}`;
    }
    case 'uuid':
      return v.bool(v.props(a1)?.get('primaryKey')) === true && !plan.hasPrimary ? 'uuid primary key' : 'uuid';
    case 'enu':
    case 'enum': {
      const opts = v.props(a2);
      const values = a1 ? v.resolve(a1) : undefined;
      const list = values && Node.isArrayLiteralExpression(values) ? values.getElements().map((e) => literal(v.name(e))).join(', ') : (v.interpolated = true, "'$1'");
      if (opts && v.bool(opts.get('useNative')) === true) {
        const schema = v.str(opts.get('schemaName')) ?? ctx.schema;
        const type = `${schema ? `${qname(schema)}.` : ''}${qname(v.name(opts.get('enumName')))}`;
        if (v.bool(opts.get('existingType')) !== true) plan.createTypes.push(v.built(`create type ${type} as enum (${list})`, outer));
        return type;
      }
      return `text check (${qname(v.name(a0))} in (${list}))`;
    }
    case 'specificType':
      return v.str(a1) ?? (v.interpolated = true, 'text');
    default:
      return SIMPLE_TYPES[l.method] ?? null;
  }
}

/** `.references('id').inTable('orgs')`, `.references('orgs.id')` or `foreign(...).references(...)` as `"orgs" ("id")` and actions. */
function fk(v: Values, links: Link[]): string | null {
  const ref = links.find((l) => l.method === 'references');
  if (!ref) return null;
  let cols = v.names(ref.args[0]);
  const inTable = links.find((l) => l.method === 'inTable')?.args[0];
  let table: string | null = inTable ? v.name(inTable) : null;
  if (!table && cols.length === 1 && cols[0]!.includes('.')) {
    const dot = cols[0]!.lastIndexOf('.');
    table = cols[0]!.slice(0, dot);
    cols = [cols[0]!.slice(dot + 1)];
  }
  if (!table) return null; // knex sends no constraint without a table
  let sql = `${qname(table)} (${cols.map((c) => qname(c)).join(', ')})`;
  const onUpdate = links.find((l) => l.method === 'onUpdate')?.args[0];
  const onDelete = links.find((l) => l.method === 'onDelete')?.args[0];
  if (onUpdate) sql += ` on update ${v.str(onUpdate) ?? (v.interpolated = true, 'NO ACTION')}`;
  if (onDelete) sql += ` on delete ${v.str(onDelete) ?? (v.interpolated = true, 'NO ACTION')}`;
  const deferrable = v.str(links.find((l) => l.method === 'deferrable')?.args[0]);
  if (deferrable) sql += ` deferrable initially ${deferrable.toLowerCase()} `;
  return sql;
}

/** One column method chain (`t.string('x', 64).notNullable().defaultTo('a')`). */
function columnOp(ctx: TableContext, plan: TablePlan, links: Link[], outer: CallExpression): boolean {
  const { v } = ctx;
  const first = links[0]!;
  const type = columnType(ctx, first, plan, outer);
  if (type === null) return false;
  const increments = /ncrements$/.test(first.method);
  const name = first.args[0] && !(increments && Node.isObjectLiteralExpression(first.args[0])) ? v.name(first.args[0]) : increments ? 'id' : 'unknown';
  const last = (m: string) => [...links].reverse().find((l) => l.method === m);
  const nullability = [...links].reverse().find((l) => l.method === 'notNullable' || l.method === 'nullable');
  const notNull = nullability?.method === 'notNullable' ? true : nullability?.method === 'nullable' ? v.bool(nullability.args[0]) === false : null;
  const dflt = last('defaultTo');
  const def = dflt ? knexDefault(v, dflt.args[0], type) : null;
  const c = qname(name);
  const alter = last('alter');
  const t = qualified(ctx);
  if (alter && !ctx.creating) {
    const o = v.props(alter.args[0]);
    const alterNullable = v.bool(o?.get('alterNullable')) !== false;
    const alterType = v.bool(o?.get('alterType')) !== false;
    const span = at(outer);
    const push = (sql: string) => plan.alters.push(v.built(`alter table ${t} alter column ${c} ${sql}`, span));
    push('drop default');
    if (alterNullable) push('drop not null');
    if (alterType) push(`type ${type} using (${c}${/^text check/.test(type) ? '::text::' : '::'}${type})`);
    if (def !== null) push(`set default ${def}`);
    if (alterNullable && notNull === true) push('set not null');
  } else {
    let sql = `${c} ${type}`;
    if (!increments) {
      if (notNull !== null) sql += notNull ? ' not null' : ' null';
      if (def !== null) sql += ` default ${def}`;
    }
    plan.columns.push({ sql, span: at(outer) });
  }
  const comment = last('comment');
  if (comment) {
    const text = v.str(comment.args[0]);
    plan.columnQueries.push(v.built(`comment on column ${t}.${c} is ${text === null ? (v.interpolated = true, "'$1'") : text ? literal(text) : 'NULL'}`, outer));
  }
  // Column modifiers that knex queues with the table's other statements, in call order.
  for (const l of links.slice(1)) {
    if (!first.args[0] || (increments && l.method === 'primary')) continue;
    if (l.method === 'primary' || l.method === 'unique' || l.method === 'index') tableOp(ctx, plan, [{ method: l.method, args: [first.args[0], ...l.args], call: l.call }], outer);
    else if (l.method === 'references') tableOp(ctx, plan, [{ method: 'foreign', args: [first.args[0]!], call: l.call }, ...links.slice(links.indexOf(l))], outer);
  }
  return true;
}

/** `knex.whereNotNull('x')` / `knex.whereRaw('...')` as a partial index predicate. */
function predicate(v: Values, e: Node | undefined): string | null {
  const n = e ? v.resolve(e) : undefined;
  if (!n || !Node.isCallExpression(n)) return null;
  const mc = methodCall(n);
  const arg = v.str(n.getArguments()[0]);
  if (!mc || arg === null) return null;
  if (mc.method === 'whereNotNull') return `where ${column(arg)} is not null`;
  if (mc.method === 'whereNull') return `where ${column(arg)} is null`;
  if (mc.method === 'whereRaw') return `where ${arg}`;
  return null;
}

/** `check('?? > ?', ['n', 0])`: knex's `??` become identifiers and `?` values. */
function checkSql(v: Values, e: Node | undefined, bindings: Node | undefined): string {
  let sql = v.str(e) ?? (v.interpolated = true, 'true');
  const b = bindings ? v.resolve(bindings) : undefined;
  const values = b && Node.isArrayLiteralExpression(b) ? b.getElements() : [];
  let i = 0;
  sql = sql.replace(/\?\?|\?/g, (m) => {
    const el = values[i++];
    if (!el) return m;
    if (m === '??') return qname(v.name(el));
    const n = v.resolve(el);
    return Node.isNumericLiteral(n) ? n.getText() : literal(v.name(el));
  });
  return sql;
}

/** A table-level method (or a column modifier routed here); returns whether it was one. */
function tableOp(ctx: TableContext, plan: TablePlan, links: Link[], outer: CallExpression): boolean {
  const { v, table } = ctx;
  const l = links[0]!;
  const [a0, a1, a2] = l.args;
  const t = qualified(ctx);
  const hooks = ctx.hooksFor(outer);
  const add = (sql: string) => plan.rest.push({ ...v.built(sql, outer), ...(hooks ? { hooks } : {}) });
  switch (l.method) {
    case 'index': {
      const cols = v.names(a0);
      const opts = v.props(a2);
      const method = v.str(a2) ?? v.str(opts?.get('storageEngineIndexType'));
      const unique = /^unique$/i.test(v.str(opts?.get('indexType')) ?? '');
      const where = predicate(v, opts?.get('predicate'));
      const name = qname(v.str(a1) ?? knexName(table, cols, 'index'));
      add(`create${unique ? ' unique' : ''} index ${name} on ${t}${method ? ` using ${method}` : ''} (${cols.map((c) => qname(c)).join(', ')})${where ? ` ${where}` : ''}`);
      return true;
    }
    case 'unique': {
      const cols = v.names(a0);
      const opts = v.props(a1);
      const name = v.str(a1) ?? v.str(opts?.get('indexName')) ?? knexName(table, cols, 'unique');
      const where = predicate(v, opts?.get('predicate'));
      const deferrable = v.str(opts?.get('deferrable'));
      const useConstraint = v.bool(opts?.get('useConstraint')) ?? (!!deferrable || !where);
      const list = cols.map((c) => qname(c)).join(', ');
      if (useConstraint) add(`alter table ${t} add constraint ${qname(name)} unique (${list})${deferrable ? ` deferrable initially ${deferrable}` : ''}`);
      else add(`create unique index ${qname(name)} on ${t} (${list})${where ? ` ${where}` : ''}`);
      return true;
    }
    case 'primary': {
      const cols = v.names(a0);
      const opts = v.props(a1);
      const name = v.str(a1) ?? v.str(opts?.get('constraintName')) ?? `${table}_pkey`;
      const deferrable = v.str(opts?.get('deferrable'));
      const sql = `constraint ${qname(name)} primary key (${cols.map((c) => qname(c)).join(', ')})${deferrable ? ` deferrable initially ${deferrable}` : ''}`;
      if (ctx.creating) plan.primaryKey ??= sql; // knex takes the first primary(...) into CREATE TABLE
      else add(`alter table ${t} add ${sql}`);
      return true;
    }
    case 'foreign': {
      const cols = v.names(a0);
      const keyName = v.str(a1) ?? v.str(links.find((x) => x.method === 'withKeyName')?.args[0]);
      const ref = fk(v, links);
      if (ref) add(`alter table ${t} add constraint ${qname(keyName ?? knexName(table, cols, 'foreign'))} foreign key (${cols.map((c) => qname(c)).join(', ')}) references ${ref}`);
      return true;
    }
    case 'check': {
      const expr = checkSql(v, a0, a1);
      const name = v.str(a2);
      if (ctx.creating) plan.createChecks.push(`${name ? `constraint ${name} ` : ''}check (${expr})`);
      else add(`alter table ${t} add constraint ${name ?? `${t}_1`} check(${expr})`);
      return true;
    }
    case 'dropIndex': {
      const name = v.str(a1) ?? knexName(table, v.names(a0), 'index');
      add(`drop index ${qname(ctx.schema ? `${ctx.schema}.${name}` : name)}`);
      return true;
    }
    case 'dropUnique':
    case 'dropForeign':
    case 'dropUniqueIfExists':
    case 'dropForeignIfExists': {
      const type = l.method.startsWith('dropUnique') ? 'unique' : 'foreign';
      add(`alter table ${t} drop constraint ${l.method.endsWith('IfExists') ? 'if exists ' : ''}${qname(v.str(a1) ?? knexName(table, v.names(a0), type))}`);
      return true;
    }
    case 'dropPrimary':
    case 'dropPrimaryIfExists':
      add(`alter table ${t} drop constraint ${l.method.endsWith('IfExists') ? 'if exists ' : ''}${qname(v.str(a0) ?? `${table}_pkey`)}`);
      return true;
    case 'dropChecks': {
      const names = v.names(a0);
      add(`alter table ${t} ${names.map((n) => `drop constraint ${n}`).join(', ')}`);
      return true;
    }
    case 'dropColumn':
    case 'dropColumns': {
      const cols = l.args.flatMap((a) => v.names(a));
      if (cols.length) add(`alter table ${t} ${cols.map((c) => `drop column ${qname(c)}`).join(', ')}`);
      return true;
    }
    case 'comment': {
      const text = v.str(a0);
      add(`comment on table ${t} is ${text === null ? (v.interpolated = true, "'$1'") : literal(text)}`);
      return true;
    }
    case 'dropTimestamps':
      add(`alter table ${t} drop column "created_at", drop column "updated_at"`);
      return true;
    case 'renameColumn':
      add(`alter table ${t} rename ${qname(v.name(a0))} to ${qname(v.name(a1))}`);
      return true;
    case 'setNullable':
    case 'dropNullable':
      add(`alter table ${t} alter column ${qname(v.name(a0))} ${l.method === 'setNullable' ? 'drop' : 'set'} not null`);
      return true;
    case 'timestamps': {
      // knex's pg dialect makes both timestamptz; `timestamps(_, true)` makes them NOT NULL DEFAULT CURRENT_TIMESTAMP.
      // (`useTimestamps` picks timestamp or datetime: both timestamptz on pg; the third argument asks for camelCase names.)
      const now = v.bool(a1) === true;
      const names = v.bool(a2) === true ? ['createdAt', 'updatedAt'] : ['created_at', 'updated_at'];
      for (const name of names) plan.columns.push({ sql: `"${name}" timestamptz${now ? ' not null default CURRENT_TIMESTAMP' : ''}`, span: at(outer) });
      return true;
    }
    default:
      return false;
  }
}

/**
 * The table builder calls of a callback (`(t) => { t.string('x'); ... }`) as knex's
 * statement groups. A chain on the table builder that is neither a column type nor a
 * table method this knows is reported through `unknown` (not analysed, never dropped).
 */
export function planTable(ctx: TableContext, calls: CallExpression[], unknown: (call: CallExpression, method: string) => void): TablePlan {
  const chains = calls.map((c) => chainFrom(c));
  const hasPrimary = chains.some(({ links }) => links[0]?.method === 'primary' || (links.length > 1 && !/ncrements$/.test(links[0]!.method) && links.some((l) => l.method === 'primary')));
  const plan: TablePlan = { hasPrimary, columns: [], createChecks: [], primaryKey: null, createTypes: [], alters: [], columnQueries: [], rest: [] };
  for (const { links, outer } of chains) {
    if (!links.length) continue;
    if (columnOp(ctx, plan, links, outer)) continue;
    if (tableOp(ctx, plan, links, outer)) continue;
    if (IGNORED.has(links[0]!.method)) continue;
    unknown(outer, links[0]!.method);
  }
  return plan;
}

/** Table-builder methods that send no SQL of their own (MySQL-only options, `comment` handled by knex separately). */
const IGNORED = new Set(['engine', 'charset', 'collate', 'queryContext']);

/** The span from the first to the last of `spans`. */
export function cover(spans: Span[]): Span {
  return { start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) };
}

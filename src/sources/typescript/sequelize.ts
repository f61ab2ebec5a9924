/**
 * Sequelize (sequelize-cli) and umzug: `up: async (queryInterface, Sequelize)`
 * or `up: async ({ context: queryInterface })`. Neither wraps a migration in a
 * transaction: only statements the migration itself runs in
 * `sequelize.transaction()` are in one (not modelled per statement here).
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
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
import { optionsEditor, replacer } from './edits.js';
import { unwrap } from './literals.js';
import { isCallback } from './transactions.js';
import type { BuilderHooks, BuiltSql, Env, FrameworkSupport } from './types.js';

const TYPES: Record<string, string> = {
  STRING: 'varchar(255)', CHAR: 'char(255)', TEXT: 'text', CITEXT: 'citext', INTEGER: 'integer', BIGINT: 'bigint', SMALLINT: 'smallint',
  TINYINT: 'smallint', MEDIUMINT: 'integer', FLOAT: 'float', REAL: 'real', DOUBLE: 'double precision', DECIMAL: 'decimal', NUMERIC: 'numeric',
  BOOLEAN: 'boolean', DATE: 'timestamptz', DATEONLY: 'date', TIME: 'time', NOW: 'timestamptz', UUID: 'uuid', UUIDV4: 'uuid', JSON: 'json',
  JSONB: 'jsonb', BLOB: 'bytea', INET: 'inet', CIDR: 'cidr', MACADDR: 'macaddr', ENUM: 'text', TSVECTOR: 'tsvector',
};

/** A Sequelize data type (`Sequelize.STRING(64)`, `DataTypes.DATE`, `'VARCHAR(20)'`) as SQL. */
function typeSql(v: Values, e: Node | undefined): string {
  if (!e) return 'text';
  const s = v.str(e);
  if (s !== null) return s;
  const n = v.resolve(e);
  const call = Node.isCallExpression(n) ? n : null;
  const base = (call ? call.getExpression() : n).getText().split('.').pop() ?? '';
  const args = call?.getArguments() ?? [];
  if (base === 'ARRAY' && args[0]) return `${typeSql(v, args[0])}[]`;
  const mapped = TYPES[base];
  if (!mapped) {
    v.interpolated = true;
    return 'text';
  }
  const nums = args.map((a) => v.num(a)).filter((x): x is number => x !== null);
  if (nums.length && /^(varchar|char|decimal|numeric)/.test(mapped)) return `${mapped.replace(/\(.*\)$/, '')}(${nums.join(', ')})`;
  return mapped;
}

function columnSpec(v: Values, name: string, e: Node): ColumnSpec {
  const o = v.props(e);
  if (!o) return { name, type: typeSql(v, e) };
  let type = typeSql(v, o.get('type'));
  if (v.bool(o.get('autoIncrement'))) type = /bigint/i.test(type) ? 'bigserial' : 'serial';
  let refs: string | null = null;
  const r = v.props(o.get('references'));
  if (r) {
    const model = v.props(r.get('model'));
    refs = referencesSql(model ? v.name(model.get('tableName')) : v.name(r.get('model') ?? r.get('table')), r.has('key') ? [v.name(r.get('key'))] : []);
    const onDelete = v.str(o.get('onDelete'));
    if (onDelete) refs += ` ON DELETE ${onDelete}`;
  }
  return {
    name,
    type,
    notNull: v.bool(o.get('allowNull')) === false,
    primaryKey: v.bool(o.get('primaryKey')) === true,
    unique: v.bool(o.get('unique')) === true,
    default: o.has('defaultValue') ? v.defaultSql(o.get('defaultValue')) : null,
    references: refs,
  };
}

function tableName(v: Values, e: Node | undefined): string {
  const o = v.props(e);
  if (o) {
    const schema = v.str(o.get('schema'));
    const t = v.name(o.get('tableName'));
    return schema ? `${schema}.${t}` : t;
  }
  return v.name(e);
}

/** `{ deleted_at: null, status: 'active' }` as SQL; null for operators this does not model. */
function whereSql(v: Values, e: Node | undefined): string | null {
  const s = v.str(e);
  if (s !== null) return s;
  const o = v.props(e);
  if (!o || !o.size) return null;
  const parts: string[] = [];
  for (const [k, val] of o) {
    const n = v.resolve(val);
    if (Node.isNullLiteral(n)) parts.push(`${qname(k)} IS NULL`);
    else if (Node.isNumericLiteral(n) || Node.isTrueLiteral(n) || Node.isFalseLiteral(n)) parts.push(`${qname(k)} = ${n.getText()}`);
    else if (v.str(n) !== null) parts.push(`${qname(k)} = ${literal(v.str(n)!)}`);
    else {
      const ne = v.props(n);
      const op = ne && [...ne.entries()].find(([key]) => /Op\.(ne|not)\]?$/.test(key));
      if (op && Node.isNullLiteral(v.resolve(op[1]))) parts.push(`${qname(k)} IS NOT NULL`);
      else return null;
    }
  }
  return parts.join(' AND ');
}

/** Sequelize's default index name: `table_field1_field2`, underscored. */
function indexName(table: string, fields: string[]): string {
  const t = table.split('.').pop() ?? table;
  return `${t}_${fields.map((f) => f.replace(/\s+(ASC|DESC)$/i, '')).join('_')}`.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^\w]+/g, '_').toLowerCase();
}

function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const built = translateCall(call, env);
  if (!built) return null;
  const mc = methodCall(call)!;
  const receiver = mc.receiver.getText();
  const hooks: BuilderHooks = { replaceWithRaw: replacer(call.getStart(), call.getEnd(), (sql, quote) => `${receiver}.sequelize.query(${quote(sql)})`) };
  const [, a1, a2] = call.getArguments();
  if ((mc.method === 'addIndex' || mc.method === 'removeIndex') && a1) {
    // Sequelize's addIndex and removeIndex know `concurrently` (removeIndex always says IF EXISTS).
    const inline = mc.method === 'addIndex' && Node.isObjectLiteralExpression(a1) && a1.getProperty('fields');
    hooks.setOptions = optionsEditor(env.text, env.source.eol, inline ? a1 : a2, a1, { concurrently: 'concurrently' });
  }
  return built.map((b) => ({ ...b, hooks }));
}

function translateCall(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc || /(^|\.)sequelize$/.test(mc.receiver.getText())) return null;
  const v = new Values(env);
  const [a0, a1, a2] = call.getArguments();
  if (!a0) return null;
  const table = () => tableName(v, a0);
  const opts = (e: Node | undefined) => v.props(e) ?? new Map<string, Node>();
  const one = (sql: string) => [v.built(sql, call)];
  switch (mc.method) {
    case 'addIndex': {
      // addIndex(table, fields, options) or addIndex(table, { fields, ...options })
      const first = v.props(a1);
      const o = first && first.has('fields') ? first : opts(a2);
      const fields = v.names(first && first.has('fields') ? first.get('fields') : a1);
      const type = v.str(o.get('type'));
      return one(
        createIndexSql({
          name: o.has('name') ? v.name(o.get('name')) : indexName(table(), fields),
          table: table(),
          columns: fields,
          unique: v.bool(o.get('unique')) === true || /^unique$/i.test(type ?? ''),
          concurrently: v.bool(o.get('concurrently')) === true,
          method: v.str(o.get('using')) ?? v.str(o.get('method')),
          where: whereSql(v, o.get('where')),
        }),
      );
    }
    case 'removeIndex': {
      const name = v.str(a1) ?? indexName(table(), v.names(a1));
      return one(dropIndexSql(name, { concurrently: v.bool(opts(a2).get('concurrently')) === true, ifExists: true }));
    }
    case 'createTable': {
      const n = a1 ? v.resolve(a1) : undefined;
      if (!n || !Node.isObjectLiteralExpression(n)) return null;
      const cols: ColumnSpec[] = [];
      for (const p of n.getProperties()) if (Node.isPropertyAssignment(p)) cols.push(columnSpec(v, p.getName().replace(/^["']|["']$/g, ''), p.getInitializer()!));
      // Sequelize's createTableQuery always says IF NOT EXISTS.
      return one(createTableSql(table(), cols.map(columnDef), true));
    }
    case 'dropTable':
      return one(dropTableSql(table(), { ifExists: true, cascade: v.bool(opts(a1).get('cascade')) === true }));
    case 'renameTable':
      return one(alterTableSql(table(), [`RENAME TO ${qname(tableName(v, a1))}`]));
    case 'addColumn':
      if (!a2) return null;
      return one(alterTableSql(table(), [`ADD COLUMN ${columnDef(columnSpec(v, v.name(a1), a2))}`]));
    case 'removeColumn':
      return one(alterTableSql(table(), [`DROP COLUMN ${qname(v.name(a1))}`]));
    case 'renameColumn':
      return one(alterTableSql(table(), [`RENAME COLUMN ${qname(v.name(a1))} TO ${qname(v.name(a2))}`]));
    case 'changeColumn': {
      if (!a2) return null;
      // One query string of several ALTER TABLE statements (postgres QueryGenerator.changeColumnQuery).
      const spec = columnSpec(v, v.name(a1), a2);
      const c = qname(spec.name);
      const o = v.props(a2);
      const stmts: string[] = [];
      if (o?.has('allowNull')) stmts.push(alterTableSql(table(), [`ALTER COLUMN ${c} ${spec.notNull ? 'SET' : 'DROP'} NOT NULL`]));
      if (o?.has('defaultValue')) stmts.push(alterTableSql(table(), [`ALTER COLUMN ${c} SET DEFAULT ${spec.default}`]));
      else if (o) stmts.push(alterTableSql(table(), [`ALTER COLUMN ${c} DROP DEFAULT`]));
      stmts.push(alterTableSql(table(), [`ALTER COLUMN ${c} TYPE ${spec.type}`]));
      return stmts.map((sql, i) => v.built(sql, call, i > 0));
    }
    case 'addConstraint': {
      // addConstraint(table, { type, fields, name, ... }) (v5+) or addConstraint(table, fields, { type, ... }) (v4).
      const o = v.props(a1) ?? opts(a2);
      const fields = v.names(o.has('fields') ? o.get('fields') : a1);
      const type = (v.str(o.get('type')) ?? '').toLowerCase();
      const t = table().split('.').pop() ?? table();
      const cols = fields.map(column).join(', ');
      let body: string;
      let suffix: string;
      if (type === 'unique') [body, suffix] = [`UNIQUE (${cols})`, 'uk'];
      else if (type === 'primary key') [body, suffix] = [`PRIMARY KEY (${cols})`, 'pk'];
      else if (type === 'check') [body, suffix] = [`CHECK (${whereSql(v, o.get('where')) ?? 'true'})`, 'ck'];
      else if (type === 'foreign key') {
        const r = v.props(o.get('references')) ?? new Map<string, Node>();
        body = `FOREIGN KEY (${cols}) REFERENCES ${referencesSql(v.name(r.get('table')), r.has('field') ? [v.name(r.get('field'))] : [])}`;
        const onDelete = v.str(o.get('onDelete'));
        if (onDelete) body += ` ON DELETE ${onDelete}`;
        suffix = `${v.str(r.get('table')) ?? 'ref'}_fk`;
      } else return null;
      const name = o.has('name') ? v.name(o.get('name')) : `${t}_${fields.join('_')}_${suffix}`;
      return one(alterTableSql(table(), [`ADD CONSTRAINT ${qname(name)} ${body}`]));
    }
    case 'removeConstraint':
      return one(alterTableSql(table(), [`DROP CONSTRAINT ${qname(v.name(a1))}`]));
    default:
      return null;
  }
}

export const sequelize: FrameworkSupport = {
  framework: 'sequelize',
  name: 'Sequelize',
  idioms: { batchedBackfill: 'in Sequelize, a loop of queryInterface.sequelize.query(...) over key ranges, outside a transaction' },
  connections: 'pool',
  detect: {
    paramType: /^(QueryInterface|Sequelize|MigrationParams|MigrationFn)\b/,
    imports: /^(sequelize|sequelize-cli|sequelize-typescript|umzug|@sequelize\/core)(\/|$)/,
    params: ['queryInterface'],
    secondParam: /^Sequelize$|^DataTypes$/,
    byUse: { order: 20, test: (uses) => ['addIndex', 'removeIndex', 'removeColumn', 'changeColumn', 'removeConstraint', 'bulkInsert', 'sequelize'].some((u) => uses.has(u)) },
  },
  sessionKinds: { 'sequelize-transaction': 'Sequelize transaction' },
  sessionCode: { 'sequelize-transaction': (n) => ({ rollback: `await ${n}.rollback()`, guardedRollback: `await ${n}.rollback()`, commit: `await ${n}.commit()`, release: null }) },
  builder: translate,
  // `await sequelize.transaction()` without a callback (the callback form is managed by Sequelize).
  sessionOpening(e, awaited, env) {
    const mc = Node.isCallExpression(e) ? methodCall(e) : null;
    if (!mc || mc.method !== 'transaction' || !awaited || (e as CallExpression).getArguments().some(isCallback)) return null;
    return /sequelize/i.test(mc.receiver.getText()) || env.framework === 'sequelize' ? { kind: 'sequelize-transaction', opensTransaction: true } : null;
  },
  // queryInterface.sequelize.query(sql, { transaction: t }): the same query without the option.
  moveCheck(u, check) {
    const mc = methodCall(check);
    if (u.kind !== 'sequelize-transaction' || !mc || unwrap(mc.receiver).getText() === u.name) return null;
    const options = check.getArguments()[1];
    const o = options ? unwrap(options) : undefined;
    if (!o || !Node.isObjectLiteralExpression(o)) return null;
    const props = o.getProperties();
    const prop = props.find((p) => (Node.isPropertyAssignment(p) || Node.isShorthandPropertyAssignment(p)) && p.getName() === 'transaction');
    if (!prop) return null;
    const path = `\`${mc.receiver.getText()}.${mc.method}(...)\` outside the transaction`;
    // From the end of the SQL argument to the end of the options (a trailing comma stays).
    if (props.length === 1) return { path, edits: [{ start: check.getArguments()[0]!.getEnd(), end: o.getEnd(), text: '' }] };
    const i = props.indexOf(prop);
    const next = props[i + 1];
    return { path, edits: [{ start: next ? prop.getStart() : props[i - 1]!.getEnd(), end: next ? next.getStart() : prop.getEnd(), text: '' }] };
  },
  wrapped() {
    return { inTransaction: false, reason: 'Sequelize (umzug) runs migrations without a transaction' };
  },
  rawStatement(_env, phase) {
    const receiver = phase.param ?? 'queryInterface';
    // umzug may pass the Sequelize instance itself as the context.
    const target = /^sequelize$/i.test(receiver) ? receiver : `${receiver}.sequelize`;
    return { awaits: true, code: (sql, quote) => `await ${target}.query(${quote(sql)})` };
  },
};

/**
 * db-migrate: `exports.up = function (db, callback)` (or returning a promise)
 * calling `db.runSql(sql[, params][, callback])`, `db.all(sql, callback)` and its
 * builders (`createTable`, `dropTable`, `renameTable`, `addColumn`,
 * `removeColumn`, `renameColumn`, `changeColumn`, `addIndex`, `removeIndex`,
 * `addForeignKey`, `removeForeignKey`), also bound for `async.series` as
 * `db.addColumn.bind(db, ...)`.
 *
 * On PostgreSQL db-migrate runs each migration between `BEGIN` and `COMMIT`
 * (its pg driver's `startMigration` / `endMigration`), with the row in its
 * migrations table, unless the whole run uses `--non-transactional`; a migration
 * cannot switch it off for itself. All migrations of a run share one client.
 * The builders are translated as db-migrate's pg driver writes them.
 */
import type { CallExpression, TaggedTemplateExpression } from 'ts-morph';
import { Node } from './morph.js';
import { callQuery, type RawQuery } from './queries.js';
import { Values, alterTableSql, column, columnDef, createIndexSql, createTableSql, dropIndexSql, dropTableSql, methodCall, qname, type ColumnSpec } from './sqlgen.js';
import type { BuiltSql, Env, FrameworkSupport, PhaseFunction } from './types.js';

/** The builders this module translates, and the query methods; together the uses that name db-migrate. */
const BUILDERS = ['createTable', 'dropTable', 'renameTable', 'addColumn', 'removeColumn', 'renameColumn', 'changeColumn', 'addIndex', 'removeIndex', 'addForeignKey', 'removeForeignKey'];
const QUERIES = new Set(['runSql', 'all']);
/** Every method of db-migrate's driver object a migration calls (builders, queries, `insert`, `bind` for async.series). */
const OWN = new Set([...BUILDERS, ...QUERIES, 'insert', 'bind', 'addMigrationState']);

/**
 * The advice where the fix cannot switch the transaction off: db-migrate has no
 * per-migration switch.
 */
const SWITCH_ADVICE =
  "db-migrate cannot switch its transaction off for one migration: move the statement into a migration of its own and run that one with `db-migrate up --non-transactional` (which switches the transaction off for the whole run)";

/**
 * A db-migrate call on the migration's handle, with its arguments: `db.addIndex(...)`,
 * or the bound form `db.addIndex.bind(db, ...)` (the bound `this` dropped). Null when the
 * receiver is not the phase's parameter (or `db`).
 */
function dbCall(call: CallExpression, env: Env): { method: string; args: Node[] } | null {
  const mc = methodCall(call);
  if (!mc) return null;
  let method = mc.method;
  let receiver = mc.receiver;
  let args = call.getArguments() as Node[];
  if (method === 'bind' && Node.isPropertyAccessExpression(receiver)) {
    method = receiver.getName();
    receiver = receiver.getExpression();
    args = args.slice(1);
  }
  if (!Node.isIdentifier(receiver)) return null;
  const name = receiver.getText();
  if (name !== 'db' && !env.phases.some((p) => p.param === name)) return null;
  return { method, args };
}

/** The arguments before the trailing callback, if any. */
function withoutCallback(args: Node[]): Node[] {
  const last = args[args.length - 1];
  return last && (Node.isArrowFunction(last) || Node.isFunctionExpression(last) || /^(cb|callback|done|next)$/.test(last.getText())) ? args.slice(0, -1) : args;
}

/** A db-migrate column type as PostgreSQL's (db-migrate-pg's mapDataType). */
function typeSql(v: Values, o: Map<string, Node>): string {
  const raw = (v.str(o.get('type')) ?? '').toLowerCase();
  const length = v.num(o.get('length'));
  if (!raw) {
    v.interpolated = true;
    return 'text';
  }
  if (v.bool(o.get('autoIncrement'))) return raw === 'bigint' ? 'bigserial' : 'serial';
  const mapped: Record<string, string> = { string: 'varchar', char: 'char', int: 'integer', integer: 'integer', datetime: 'timestamp', blob: 'bytea', binary: 'bytea', real: 'real', decimal: 'decimal' };
  const t = mapped[raw] ?? raw;
  return length !== null && /^(varchar|char|decimal|numeric)$/.test(t) ? `${t}(${length})` : t;
}

/** One column of a column spec `{ type, length, primaryKey, notNull, unique, defaultValue, foreignKey }`. */
function columnSpec(v: Values, name: string, e: Node | undefined): { spec: ColumnSpec; foreignKey: string | null } {
  const s = v.str(e);
  if (s !== null) return { spec: { name, type: typeSql(v, new Map([['type', e!]])) }, foreignKey: null };
  const o = v.props(e) ?? new Map<string, Node>();
  const dflt = o.get('defaultValue');
  const raw = dflt ? v.props(dflt) : null;
  const spec: ColumnSpec = {
    name,
    type: typeSql(v, o),
    notNull: v.bool(o.get('notNull')) === true,
    primaryKey: v.bool(o.get('primaryKey')) === true,
    unique: v.bool(o.get('unique')) === true,
    // `defaultValue: 'x'` is a string literal; `{ raw: 'now()' }` is SQL.
    default: !dflt ? null : raw?.has('raw') ? v.str(raw.get('raw')) ?? v.defaultSql(raw.get('raw')) : v.defaultSql(dflt),
  };
  return { spec, foreignKey: foreignKeyOf(v, name, o.get('foreignKey')) };
}

/** A column spec's `foreignKey: { name, table, mapping, rules }` as the constraint it adds. */
function foreignKeyOf(v: Values, columnName: string, e: Node | undefined): string | null {
  const fk = v.props(e);
  if (!fk) return null;
  const mapping = fk.get('mapping');
  const refs = mapping ? (v.props(mapping) ? [...v.props(mapping)!.values()].map((n) => v.name(n)) : [v.name(mapping)]) : [];
  return `ADD CONSTRAINT ${qname(v.name(fk.get('name')))} FOREIGN KEY (${column(columnName)}) REFERENCES ${qname(v.name(fk.get('table')))}${refs.length ? ` (${refs.map(column).join(', ')})` : ''}${rulesSql(v, fk.get('rules'))}`;
}

/** `{ onDelete: 'CASCADE', onUpdate: 'RESTRICT' }` as SQL. */
function rulesSql(v: Values, e: Node | undefined): string {
  const r = v.props(e);
  if (!r) return '';
  const del = v.str(r.get('onDelete'));
  const upd = v.str(r.get('onUpdate'));
  return `${del ? ` ON DELETE ${del.toUpperCase()}` : ''}${upd ? ` ON UPDATE ${upd.toUpperCase()}` : ''}`;
}

function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  if (env.framework !== 'db-migrate') return null;
  const c = dbCall(call, env);
  if (!c || !BUILDERS.includes(c.method)) return null;
  const v = new Values(env);
  const args = withoutCallback(c.args);
  const [a0, a1, a2, a3] = args;
  if (!a0) return null;
  const table = () => v.name(a0);
  const one = (sql: string) => [v.built(sql, call)];
  switch (c.method) {
    case 'createTable': {
      // createTable(name, { col: spec }) or createTable(name, { columns: {...}, ifNotExists })
      const o = v.props(a1);
      if (!o) return null;
      const columns = o.has('columns') ? v.props(o.get('columns')) : o;
      if (!columns) return null;
      const specs = [...columns].map(([name, e]) => columnSpec(v, name, e));
      const out = one(createTableSql(table(), specs.map((s) => columnDef(s.spec)), o.has('columns') && v.bool(o.get('ifNotExists')) === true));
      for (const s of specs) if (s.foreignKey) out.push(v.built(alterTableSql(table(), [s.foreignKey]), call));
      return out;
    }
    case 'dropTable': {
      const o = v.props(a1);
      return one(dropTableSql(table(), { ifExists: v.bool(o?.get('ifExists')) === true, cascade: v.bool(o?.get('cascade')) === true }));
    }
    case 'renameTable':
      return one(alterTableSql(table(), [`RENAME TO ${qname(v.name(a1))}`]));
    case 'addColumn': {
      const { spec, foreignKey } = columnSpec(v, v.name(a1), a2);
      const out = one(alterTableSql(table(), [`ADD COLUMN ${columnDef(spec)}`]));
      if (foreignKey) out.push(v.built(alterTableSql(table(), [foreignKey]), call));
      return out;
    }
    case 'removeColumn':
      return one(alterTableSql(table(), [`DROP COLUMN ${qname(v.name(a1))}`]));
    case 'renameColumn':
      return one(alterTableSql(table(), [`RENAME COLUMN ${qname(v.name(a1))} TO ${qname(v.name(a2))}`]));
    case 'changeColumn': {
      // db-migrate-pg's changeColumn: NOT NULL, then UNIQUE, then DEFAULT, then TYPE, each its own statement.
      const o = v.props(a2) ?? new Map<string, Node>();
      const col = qname(v.name(a1));
      const stmts: string[] = [];
      const notNull = v.bool(o.get('notNull'));
      if (o.has('notNull')) stmts.push(`ALTER COLUMN ${col} ${notNull ? 'SET' : 'DROP'} NOT NULL`);
      if (v.bool(o.get('unique')) === true) stmts.push(`ADD CONSTRAINT ${qname(`${table().split('.').pop()}_${v.name(a1)}_key`)} UNIQUE (${col})`);
      if (o.has('defaultValue')) stmts.push(`ALTER COLUMN ${col} SET DEFAULT ${columnSpec(v, v.name(a1), a2).spec.default}`);
      if (o.has('type')) stmts.push(`ALTER COLUMN ${col} TYPE ${typeSql(v, o)}`);
      if (!stmts.length) return null;
      return stmts.map((s) => v.built(alterTableSql(table(), [s]), call));
    }
    case 'addIndex': {
      // addIndex(table, indexName, columns[, unique])
      const cols = v.names(a2);
      return one(createIndexSql({ name: v.name(a1), table: table(), columns: cols, unique: v.bool(a3) === true }));
    }
    case 'removeIndex': {
      // removeIndex([table,] indexName): the pg driver drops the index by its name alone.
      const name = args.length >= 2 ? a1 : a0;
      return one(dropIndexSql(v.name(name)));
    }
    case 'addForeignKey': {
      // addForeignKey(table, referencedTable, keyName, { column: referencedColumn }, rules)
      const mapping = v.props(a3);
      if (!mapping) return null;
      const from = [...mapping.keys()];
      const to = [...mapping.values()].map((n) => v.name(n));
      const rules = rulesSql(v, args[4]);
      return one(alterTableSql(table(), [`ADD CONSTRAINT ${qname(v.name(a2))} FOREIGN KEY (${from.map(column).join(', ')}) REFERENCES ${qname(v.name(a1))} (${to.map(column).join(', ')})${rules}`]));
    }
    case 'removeForeignKey':
      return one(alterTableSql(table(), [`DROP CONSTRAINT ${qname(v.name(a1))}`]));
    default:
      return null;
  }
}

/** `db.runSql(sql[, params][, callback])` and `db.all(sql, callback)`, also bound; with parameters, `?` is a value placeholder. */
function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (env.framework !== 'db-migrate' || !Node.isCallExpression(node)) return null;
  const c = dbCall(node, env);
  if (!c || !QUERIES.has(c.method)) return null;
  const bound = methodCall(node)?.method === 'bind';
  const q = callQuery(node, env, { executor: 'raw', bindings: true, arg: bound ? 1 : 0 });
  return q ? { ...q, method: c.method, receiver: bound ? (node.getArguments()[0]?.getText() ?? 'db') : q.receiver } : null;
}

/** Whether the phase completes through a callback parameter (`function (db, callback)`), not a returned promise. */
function callbackStyle(phase: PhaseFunction): boolean {
  return phase.paramCount >= 2 && !phase.fn.isAsync();
}

export const dbMigrate: FrameworkSupport = {
  framework: 'db-migrate',
  name: 'db-migrate',
  idioms: { batchedBackfill: 'in db-migrate, a loop of db.runSql(...) over key ranges; db-migrate runs each migration in one transaction on PostgreSQL (unless the run uses --non-transactional), so run a large backfill as a job outside it' },
  connections: 'phase-param',
  detect: {
    imports: /^db-migrate(-[\w-]+)?(\/|$)/,
    // Before Sequelize's (order 20): `db.removeColumn(...)` is db-migrate's, `queryInterface.removeColumn(...)` Sequelize's.
    // Builders alone name it only when every method the phase calls on `db` is db-migrate's (Sequelize also has
    // removeColumn and addIndex, but no runSql, and db-migrate has no createIndex or query).
    byUse: {
      order: 15,
      test: (uses, p) => [...QUERIES].some((q) => uses.has(q)) || (p.param === 'db' && BUILDERS.some((b) => uses.has(b)) && [...uses].every((u) => OWN.has(u))),
    },
  },
  builder: translate,
  rawQuery,
  rawQueryOnlyInOwnUnits: true,
  runsSql: (call, _receiver, method, env) => env.framework === 'db-migrate' && QUERIES.has(method) && dbCall(call, env) !== null,
  wrapped() {
    return {
      inTransaction: true,
      reason: 'db-migrate runs each migration between BEGIN and COMMIT on PostgreSQL (unless the run uses --non-transactional: set `assumeInTransaction: false` then)',
      switchAdvice: SWITCH_ADVICE,
    };
  },
  rawStatement(_env, phase) {
    // A callback-style phase cannot await a statement put before its first query.
    if (callbackStyle(phase)) return null;
    const db = phase.param ?? 'db';
    return { awaits: true, code: (sql, quote) => `await ${db}.runSql(${quote(sql)})` };
  },
};

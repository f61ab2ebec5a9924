/**
 * node-pg-migrate: `exports.up = (pgm) => {...}` or
 * `export const up = (pgm: MigrationBuilder) => {...}`. Each migration runs in
 * a transaction unless it calls `pgm.noTransaction()`. Builder calls are
 * translated into the statements node-pg-migrate generates (names it derives
 * are approximated as noted below).
 */
import type { CallExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import { applyInsertion, optionsEditor, planInsertion, replacer, usesSemicolons } from './edits.js';
import {
  Values,
  alterTableSql,
  column,
  columnDef,
  createIndexSql,
  createTableSql,
  dropIndexSql,
  dropTableSql,
  methodCall,
  untranslatedBuilder,
  qname,
  type ColumnSpec,
} from './sqlgen.js';
import type { BuilderHooks, BuiltSql, Env, FrameworkSupport } from './types.js';
import type { Phase } from '../../core/unit.js';

/** A table name: a string or `{ schema, name }`. */
function tableName(v: Values, e: Node | undefined): string {
  const o = v.props(e);
  if (o) {
    const schema = v.str(o.get('schema'));
    return schema ? `${schema}.${v.name(o.get('name'))}` : v.name(o.get('name'));
  }
  return v.name(e);
}

/** `leads`, `leads(id)` or `{ schema, name }` for REFERENCES. */
function referenceSql(v: Values, e: Node | undefined): string {
  const s = v.str(e);
  if (s !== null) return /^[\w$]+(\.[\w$]+)?$/.test(s) ? qname(s) : s;
  return qname(tableName(v, e));
}

function columnSpec(v: Values, name: string, e: Node): ColumnSpec {
  const s = v.str(e);
  if (s !== null) return s === 'id' ? { name, type: 'serial', primaryKey: true } : { name, type: s };
  const o = v.props(e) ?? new Map<string, Node>();
  let refs: string | null = null;
  if (o.has('references')) {
    refs = referenceSql(v, o.get('references'));
    const onDelete = v.str(o.get('onDelete'));
    if (onDelete) refs += ` ON DELETE ${onDelete}`;
  }
  return {
    name,
    type: v.str(o.get('type')) ?? 'text',
    notNull: v.bool(o.get('notNull')) === true,
    primaryKey: v.bool(o.get('primaryKey')) === true,
    unique: v.bool(o.get('unique')) === true,
    default: o.has('default') ? v.defaultSql(o.get('default')) : null,
    references: refs,
    check: v.str(o.get('check')),
  };
}

/** Whether a column definition is a type string or an object literal (what `columnSpec` reads). */
function readableColumn(v: Values, e: Node): boolean {
  return v.str(e) !== null || Node.isObjectLiteralExpression(v.resolve(e));
}

function columnSpecs(v: Values, e: Node | undefined): ColumnSpec[] {
  const n = e ? v.resolve(e) : undefined;
  if (!n || !Node.isObjectLiteralExpression(n)) return [];
  const out: ColumnSpec[] = [];
  for (const p of n.getProperties()) {
    if (Node.isPropertyAssignment(p)) out.push(columnSpec(v, p.getName().replace(/^["']|["']$/g, ''), p.getInitializer()!));
  }
  return out;
}

/** Column names of an index: a string or an array of strings / `{ name, sort }`. */
function indexColumns(v: Values, e: Node | undefined): string[] {
  return v.names(e);
}

/** node-pg-migrate's default index name: `table_col1_col2[_unique]_index`. */
function indexName(table: string, columns: string[], unique: boolean): string {
  const t = table.split('.').pop() ?? table;
  return `${t}_${columns.map((c) => c.replace(/\s+(ASC|DESC).*$/i, '')).join('_')}${unique ? '_unique' : ''}_index`;
}

/** The constraint clauses of an `addConstraint` options object (or createTable's `constraints`). */
function constraintClauses(v: Values, table: string, name: string | null, e: Node | undefined): string[] {
  const s = v.str(e);
  const named = (type: string, cols: string[]) => `CONSTRAINT ${qname(name ?? `${table.split('.').pop()}_${type}${cols.length ? `_${cols.join('_')}` : ''}`)}`;
  if (s !== null) return [`${name ? `CONSTRAINT ${qname(name)} ` : ''}${s}`];
  const o = v.props(e);
  if (!o) return [];
  const notValid = v.bool(o.get('notValid')) === true ? ' NOT VALID' : '';
  const out: string[] = [];
  const check = o.get('check');
  if (check) {
    const n = v.resolve(check);
    const checks = Node.isArrayLiteralExpression(n) ? n.getElements().map((x) => v.str(x) ?? 'true') : [v.str(check) ?? 'true'];
    for (const c of checks) out.push(`${named('check', [])} CHECK (${c})${notValid}`);
  }
  if (o.has('unique')) {
    const n = v.resolve(o.get('unique')!);
    const groups = Node.isArrayLiteralExpression(n) && n.getElements().some((x) => Node.isArrayLiteralExpression(v.resolve(x))) ? n.getElements().map((x) => v.names(x)) : [v.names(n)];
    for (const cols of groups) out.push(`${named('uniq', cols)} UNIQUE (${cols.map(column).join(', ')})`);
  }
  if (o.has('primaryKey')) {
    const cols = v.names(o.get('primaryKey'));
    out.push(`${named('pkey', [])} PRIMARY KEY (${cols.map(column).join(', ')})`);
  }
  const fks = o.get('foreignKeys');
  if (fks) {
    const n = v.resolve(fks);
    for (const fk of Node.isArrayLiteralExpression(n) ? n.getElements() : [n]) {
      const f = v.props(fk);
      if (!f) continue;
      const cols = v.names(f.get('columns'));
      let sql = `${named('fk', cols)} FOREIGN KEY (${cols.map(column).join(', ')}) REFERENCES ${referenceSql(v, f.get('references'))}`;
      const onDelete = v.str(f.get('onDelete'));
      if (onDelete) sql += ` ON DELETE ${onDelete}`;
      out.push(sql + notValid);
    }
  }
  const exclude = v.str(o.get('exclude'));
  if (exclude) out.push(`${named('excl', [])} EXCLUDE ${exclude}`);
  return out;
}

/**
 * The boolean options of each method the fixes set, and which argument holds the options
 * object (node-pg-migrate's operations: `createTable(name, columns, { ifNotExists })`,
 * `dropTable(name, { ifExists, cascade })`, `addColumns(t, columns, { ifNotExists })`,
 * `dropColumns(t, columns, { ifExists })`, `dropConstraint(t, name, { ifExists })`, ...).
 */
const OPTION_KEYS: Record<string, { at: number; keys: Record<string, string> }> = {
  createIndex: { at: 2, keys: { concurrently: 'concurrently', ifNotExists: 'ifNotExists' } },
  addIndex: { at: 2, keys: { concurrently: 'concurrently', ifNotExists: 'ifNotExists' } },
  dropIndex: { at: 2, keys: { concurrently: 'concurrently', ifExists: 'ifExists' } },
  addConstraint: { at: 2, keys: { notValid: 'notValid' } },
  createConstraint: { at: 2, keys: { notValid: 'notValid' } },
  createTable: { at: 2, keys: { ifNotExists: 'ifNotExists' } },
  dropTable: { at: 1, keys: { ifExists: 'ifExists' } },
  addColumns: { at: 2, keys: { ifNotExists: 'ifNotExists' } },
  addColumn: { at: 2, keys: { ifNotExists: 'ifNotExists' } },
  dropColumns: { at: 2, keys: { ifExists: 'ifExists' } },
  dropColumn: { at: 2, keys: { ifExists: 'ifExists' } },
  dropConstraint: { at: 2, keys: { ifExists: 'ifExists' } },
};

/** MigrationBuilder methods that send SQL (`sql`, a raw query, is read elsewhere). */
const SENDS_SQL = new Set(
  (
    'createExtension dropExtension addExtension createTable dropTable renameTable alterTable addColumns addColumn dropColumns dropColumn ' +
    'renameColumn alterColumn addConstraint createConstraint dropConstraint renameConstraint createIndex addIndex dropIndex createRole ' +
    'dropRole alterRole renameRole createFunction dropFunction renameFunction createTrigger dropTrigger renameTrigger createSchema ' +
    'dropSchema renameSchema createDomain dropDomain alterDomain renameDomain createSequence dropSequence alterSequence renameSequence ' +
    'createOperator dropOperator createOperatorClass dropOperatorClass renameOperatorClass createOperatorFamily dropOperatorFamily ' +
    'renameOperatorFamily addToOperatorFamily removeFromOperatorFamily createPolicy dropPolicy alterPolicy renamePolicy createType ' +
    'dropType renameType addType addTypeAttribute dropTypeAttribute setTypeAttribute addTypeValue renameTypeAttribute renameTypeValue ' +
    'createView dropView alterView alterViewColumn renameView createMaterializedView dropMaterializedView alterMaterializedView ' +
    'renameMaterializedView renameMaterializedViewColumn refreshMaterializedView createCast dropCast grantRoles revokeRoles ' +
    'grantOnSchemas revokeOnSchemas grantOnTables revokeOnTables'
  ).split(' '),
);

function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const built = translateCall(call, env);
  if (!built) {
    // A method of the migration's `pgm` that sends SQL this cannot translate is reported, not skipped.
    return untranslatedBuilder(call, env, (m) => SENDS_SQL.has(m), 'sql', (what) => `miglint cannot translate ${what} (a method it does not model, or options it cannot read)`);
  }
  const mc = methodCall(call)!;
  const receiver = mc.receiverText;
  const hooks: BuilderHooks = { replaceWithRaw: replacer(call.getStart(), call.getEnd(), (sql, quote) => `${receiver}.sql(${quote(sql)})`) };
  const options = OPTION_KEYS[mc.method];
  const args = call.getArguments();
  const before = options ? args[options.at - 1] : undefined;
  if (options && before) hooks.setOptions = optionsEditor(env.text, env.source.eol, args[options.at], before, options.keys);
  return built.map((b) => ({ ...b, hooks }));
}

function translateCall(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc) return null;
  const v = new Values(env);
  const [a0, a1, a2] = call.getArguments();
  if (!a0) return null;
  const table = () => tableName(v, a0);
  const opts = (e: Node | undefined) => v.props(e) ?? new Map<string, Node>();
  const one = (sql: string) => [v.built(sql, call)];
  switch (mc.method) {
    case 'createTable': {
      // Columns given as a variable, a spread or a value miglint cannot read: not translated (reported), never guessed as `text`.
      const cols = a1 ? v.resolve(a1) : undefined;
      if (!cols || !Node.isObjectLiteralExpression(cols) || !v.columns(cols) || cols.getProperties().some((p) => !Node.isPropertyAssignment(p) || !readableColumn(v, p.getInitializer()!))) return null;
      const o = opts(a2);
      const defs = columnSpecs(v, a1).map(columnDef);
      defs.push(...constraintClauses(v, table(), null, o.get('constraints')));
      return one(createTableSql(table(), defs, v.bool(o.get('ifNotExists')) === true));
    }
    case 'dropTable': {
      const o = opts(a1);
      return one(dropTableSql(table(), { ifExists: v.bool(o.get('ifExists')) === true, cascade: v.bool(o.get('cascade')) === true }));
    }
    case 'renameTable':
      return one(alterTableSql(table(), [`RENAME TO ${qname(tableName(v, a1))}`]));
    case 'addColumns':
    case 'addColumn': {
      const ifNotExists = v.bool(opts(a2).get('ifNotExists')) === true ? 'IF NOT EXISTS ' : '';
      const cols = columnSpecs(v, a1);
      if (!cols.length) return null;
      return one(alterTableSql(table(), cols.map((c) => `ADD COLUMN ${ifNotExists}${columnDef(c)}`)));
    }
    case 'dropColumns':
    case 'dropColumn': {
      const n = a1 ? v.resolve(a1) : undefined;
      const cols = n && Node.isObjectLiteralExpression(n) ? columnSpecs(v, n).map((c) => c.name) : v.names(a1);
      const o = opts(a2);
      const ifExists = v.bool(o.get('ifExists')) === true ? 'IF EXISTS ' : '';
      const cascade = v.bool(o.get('cascade')) === true ? ' CASCADE' : '';
      return one(alterTableSql(table(), cols.map((c) => `DROP COLUMN ${ifExists}${qname(c)}${cascade}`)));
    }
    case 'renameColumn':
      return one(alterTableSql(table(), [`RENAME COLUMN ${qname(v.name(a1))} TO ${qname(v.name(a2))}`]));
    case 'alterColumn': {
      const c = qname(v.name(a1));
      const o = opts(a2);
      const cmds: string[] = [];
      // Options this does not model (collation, comment, sequenceGenerated, a type it cannot read): not translated.
      if ([...o.keys()].some((k) => !['type', 'using', 'default', 'notNull', 'allowNull'].includes(k)) || (o.has('type') && v.str(o.get('type')) === null)) return null;
      const type = v.str(o.get('type'));
      if (type) cmds.push(`ALTER COLUMN ${c} TYPE ${type}${v.str(o.get('using')) ? ` USING ${v.str(o.get('using'))}` : ''}`);
      if (o.has('default')) cmds.push(Node.isNullLiteral(v.resolve(o.get('default')!)) ? `ALTER COLUMN ${c} DROP DEFAULT` : `ALTER COLUMN ${c} SET DEFAULT ${v.defaultSql(o.get('default'))}`);
      const notNull = v.bool(o.get('notNull')) ?? (v.bool(o.get('allowNull')) === null ? null : !v.bool(o.get('allowNull')));
      if (notNull !== null) cmds.push(`ALTER COLUMN ${c} ${notNull ? 'SET' : 'DROP'} NOT NULL`);
      return cmds.length ? one(alterTableSql(table(), cmds)) : null;
    }
    case 'addConstraint':
    case 'createConstraint': {
      const name = v.str(a1);
      const clauses = constraintClauses(v, table(), name, a2);
      return clauses.length ? one(alterTableSql(table(), clauses.map((c) => `ADD ${c}`))) : null;
    }
    case 'dropConstraint': {
      const o = opts(a2);
      const ifExists = v.bool(o.get('ifExists')) === true ? 'IF EXISTS ' : '';
      return one(alterTableSql(table(), [`DROP CONSTRAINT ${ifExists}${qname(v.name(a1))}${v.bool(o.get('cascade')) ? ' CASCADE' : ''}`]));
    }
    case 'createIndex':
    case 'addIndex': {
      const cols = indexColumns(v, a1);
      const o = opts(a2);
      const unique = v.bool(o.get('unique')) === true;
      return one(
        createIndexSql({
          name: o.has('name') ? v.name(o.get('name')) : indexName(table(), cols, unique),
          table: table(),
          columns: cols,
          unique,
          concurrently: v.bool(o.get('concurrently')) === true,
          ifNotExists: v.bool(o.get('ifNotExists')) === true,
          method: v.str(o.get('method')),
          where: v.str(o.get('where')),
          include: o.has('include') ? v.names(o.get('include')) : [],
        }),
      );
    }
    case 'dropIndex': {
      const cols = indexColumns(v, a1);
      const o = opts(a2);
      const name = o.has('name') ? v.name(o.get('name')) : indexName(table(), cols, v.bool(o.get('unique')) === true);
      const schema = table().includes('.') && !name.includes('.') ? `${table().split('.')[0]}.` : '';
      return one(dropIndexSql(schema + name, { concurrently: v.bool(o.get('concurrently')) === true, ifExists: v.bool(o.get('ifExists')) === true, cascade: v.bool(o.get('cascade')) === true }));
    }
    default:
      return null;
  }
}

function noTransactionCalls(env: Env): CallExpression[] {
  return env.nodes.ofKind(SyntaxKind.CallExpression).filter((n) => methodCall(n)?.method === 'noTransaction');
}

function callsIn(env: Env, phase: Phase): CallExpression[] {
  const fn = env.phases.find((p) => p.phase === phase)?.fn;
  return noTransactionCalls(env).filter((c) => (fn ? !!c.getFirstAncestor((a) => a === fn) : env.phases.length === 0));
}

export const nodePgMigrate: FrameworkSupport = {
  framework: 'node-pg-migrate',
  name: 'node-pg-migrate',
  idioms: {
    batchedBackfill:
      'in node-pg-migrate, a loop of pgm.db.query(...) over key ranges in a migration with pgm.noTransaction(), run with --no-single-transaction (under the default single transaction pgm.db.query runs inside the transaction of all pending migrations, which node-pg-migrate breaks only after the migration function returns)',
  },
  connections: 'phase-param',
  detect: {
    paramType: /^MigrationBuilder\b/,
    imports: /^node-pg-migrate(\/|$)/,
    params: ['pgm'],
    byUse: { order: 30, test: (uses) => ['noTransaction', 'createIndex', 'addColumns', 'addConstraint', 'func', 'sql'].some((u) => uses.has(u)) && !uses.has('query') },
  },
  builder: translate,
  wrapped(env) {
    const reason = 'node-pg-migrate runs each migration in a transaction';
    if (env.phases.length === 0) {
      return noTransactionCalls(env).length ? { inTransaction: false, reason: '`pgm.noTransaction()`', perPhaseSwitch: true } : { inTransaction: true, reason, perPhaseSwitch: true };
    }
    // `pgm.noTransaction()` switches the transaction off for the direction whose function calls it.
    const byPhase: Partial<Record<Phase, boolean>> = {};
    for (const phase of ['up', 'down'] as const) if (callsIn(env, phase).length) byPhase[phase] = false;
    if (byPhase.up === false) return { inTransaction: false, reason: '`pgm.noTransaction()` in `up`', byPhase: { down: byPhase.down ?? true }, perPhaseSwitch: true };
    return { inTransaction: true, reason, byPhase, perPhaseSwitch: true };
  },
  disableTransaction(env, phase) {
    const fn = env.phases.find((p) => p.phase === phase);
    if (!fn) return null;
    if (callsIn(env, phase).length) return [];
    const plan = planInsertion(fn.fn, env.text);
    return plan ? applyInsertion(plan, `${fn.param ?? 'pgm'}.noTransaction()`, env.source.eol, false, usesSemicolons(env)) : null;
  },
  rawStatement(_env, phase) {
    const receiver = phase.param ?? 'pgm';
    return { awaits: false, code: (sql, quote) => `${receiver}.sql(${quote(sql)})` };
  },
};

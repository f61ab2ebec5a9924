/**
 * Alembic migrations (`versions/*.py`): `upgrade()` / `downgrade()` are the two
 * directions; `op.execute(...)`, `op.get_bind().execute(...)` / `exec_driver_sql(...)`
 * carry raw SQL; the `op.*` builders (and `batch_op.*` inside `op.batch_alter_table`)
 * are translated into the SQL Alembic's PostgreSQL dialect sends, with the call as span.
 *
 * Transactions: on PostgreSQL Alembic runs migrations inside a transaction
 * (transactional DDL), all of one `upgrade` run in one unless `env.py` configures
 * `transaction_per_migration=True` (then one per migration): either way a migration's
 * statements run in a transaction. `with op.get_context().autocommit_block():` commits
 * what ran before, runs its body in autocommit and begins a new transaction after it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MigrationUnit, Phase } from '../../core/unit.js';
import { alterTableSql, column, columnDef, createIndexSql, createTableSql, dropIndexSql, dropTableSql, qname } from '../../sql/write.js';
import type { BuiltSql } from '../typescript/types.js';
import { phaseAt, type PhaseRegion, type PyEnv } from './env.js';
import { kids, named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
import { PyValues } from './values.js';
import { extraBuilder } from './alembic-more.js';

/**
 * `op.*` functions that send no SQL themselves: the connection and context, name and literal
 * markers, and `batch_alter_table`, whose block's `batch_op.*` calls are read one by one.
 */
const NO_SQL = new Set(['get_bind', 'get_context', 'f', 'inline_literal', 'batch_alter_table', 'implementation_for', 'register_operation']);

/** Whether a Python file is an Alembic migration: it imports Alembic's `op` (or alembic), or states its `revision`. */
export function isAlembic(env: PyEnv): boolean {
  for (const n of env.root.namedChildren) {
    if (!n) continue;
    if ((n.type === 'import_from_statement' || n.type === 'import_statement') && /\balembic\b/.test(n.text)) return true;
    if (n.type === 'expression_statement' && /^revision\s*(?::[^=]+)?=/.test(n.text) && /\bdown_revision\b/.test(env.source.text)) return true;
  }
  return false;
}

/** The Alembic framework module (claimed by its `op` import or its `revision`/`down_revision`). */
export const alembic = {
  framework: 'alembic',
  name: 'Alembic',
  idioms: {
    batchedBackfill: "in Alembic, a loop of op.execute(sa.text('UPDATE ... WHERE id >= :lo AND id < :hi').bindparams(lo=lo, hi=hi)) over key ranges inside `with op.get_context().autocommit_block():`, so each range commits on its own",
    builderTypeChange: 'the op.* call is not rewritten: change the SQLAlchemy type it passes',
    // A session-level SET on the migration's connection holds for the rest of the direction, autocommit blocks included.
    runFirst: (sql: string, phase: Phase) => `Insert op.execute("${sql}") at the start of ${phase === 'down' ? 'downgrade' : 'upgrade'}() (Alembic runs it on the migration's connection, so it holds for every operation after it)`,
    // For SQL that the migration sends through another engine or session (its data steps).
    connectionSetting: (name: string, value: string) => `create_engine(url, connect_args={"options": "-c ${name}=${value}"}) for the engine that connection comes from`,
  },
  claims: isAlembic,
  analyse: analyseAlembic,
} as const;

/** Module-level `def upgrade` / `def downgrade` (also `upgrade_<name>` of multi-database templates). */
export function alembicPhases(env: PyEnv): PhaseRegion[] {
  const out: PhaseRegion[] = [];
  for (const n of env.root.namedChildren) {
    const def = n?.type === 'decorated_definition' ? n.childForFieldName('definition') : n;
    if (def?.type !== 'function_definition') continue;
    const name = def.childForFieldName('name')?.text ?? '';
    const phase: Phase | null = /^upgrade(_\w+)?$/.test(name) ? 'up' : /^downgrade(_\w+)?$/.test(name) ? 'down' : null;
    if (phase) out.push({ phase, span: { start: def.startIndex, end: def.endIndex } });
  }
  return out;
}

/** Reads an Alembic migration into the unit. */
export function analyseAlembic(env: PyEnv, unit: MigrationUnit): void {
  const regions = alembicPhases(env);
  unit.phaseRegions = regions;
  const binds = bindNames(env);
  let blocks = 0;
  const blockOf = new Map<number, string>();
  for (const n of env.ofType('with_statement')) {
    if (/\.autocommit_block\s*\(\s*\)/.test(kids(n).find((c) => c.type === 'with_clause')?.text ?? '')) {
      blockOf.set(n.startIndex, `autocommit:${++blocks}`);
    }
  }
  const autocommitOf = (call: PyNode): string | null => {
    if (blockOf.size === 0) return null; // no autocommit block: skip the walk up (each `.parent` searches from the root)
    for (let p = call.parent; p; p = p.parent) if (p.type === 'with_statement' && blockOf.has(p.startIndex)) return blockOf.get(p.startIndex)!;
    return null;
  };

  for (const call of env.ofType('call')) {
    const fn = call.childForFieldName('function');
    if (fn?.type !== 'attribute') continue;
    const method = fn.childForFieldName('attribute')?.text ?? '';
    const receiver = fn.childForFieldName('object');
    if (!receiver) continue;
    const phase = phaseAt(regions, call.startIndex);
    const args = positional(call);
    const recv = receiver.text.replace(/\s+/g, '');
    let added;
    if (recv === 'op' && method === 'execute') added = env.addRawSql(args[0], call, 'op.execute', phase);
    else if ((method === 'execute' || method === 'exec_driver_sql') && (recv === 'op.get_bind()' || binds.has(recv))) {
      added = env.addRawSql(args[0], call, `${receiver.text}.${method}`, phase, method === 'exec_driver_sql' && args.length > 1 ? 'driver' : null);
    } else {
      const table = recv === 'op' ? null : batchTable(receiver, env);
      if (recv !== 'op' && table === null) continue;
      if (recv === 'op' && NO_SQL.has(method)) continue;
      const built = builder(method, call, table, env) ?? extraBuilder(method, call, table, env);
      if (built) added = env.addBuilt(built, phase);
      else {
        env.collector.unanalysed.push({
          scope: 'statement',
          message: `Not analysed: \`${receiver.text}.${method}(...)\` is not an Alembic operation miglint translates to SQL, so what it sends was not checked.`,
          help: 'Lint the SQL Alembic sends (`alembic upgrade <rev> --sql` into a .sql file), or write it with `op.execute("...")`, or check it by hand; suppress this once checked.',
          span: { start: call.startIndex, end: call.endIndex },
          phase,
        });
      }
    }
    const block = added && autocommitOf(call);
    // Alembic commits its transaction, runs the block on the same connection in autocommit, then begins a new one.
    if (added && block) for (const s of added) s.autocommitBlock = block;
  }

  const envPy = join(dirname(dirname(unit.file)), 'env.py');
  const perMigration = existsSync(envPy) && /transaction_per_migration\s*=\s*True/.test(readFileSync(envPy, 'utf8'));
  unit.wrapped = {
    inTransaction: true,
    reason: perMigration
      ? "Alembic runs each migration in a transaction on PostgreSQL (transactional DDL; env.py sets transaction_per_migration=True)"
      : 'Alembic runs the migrations of one upgrade in a transaction on PostgreSQL (transactional DDL)',
    switchAdvice: 'run it in `with op.get_context().autocommit_block():`, which commits what ran before and runs its body in autocommit',
  };
  unit.framework = 'alembic';
}

/** Names bound to `op.get_bind()` (`conn = op.get_bind()`). */
export function bindNames(env: PyEnv): Set<string> {
  const out = new Set<string>();
  for (const n of env.ofType('assignment')) {
    const left = n.childForFieldName('left');
    const right = n.childForFieldName('right');
    if (left?.type === 'identifier' && right && /^op\.get_bind\(\s*\)$/.test(right.text.replace(/\s+/g, ''))) out.add(left.text);
  }
  return out;
}

/** For `batch_op.<method>(...)`, the table of the `with op.batch_alter_table("t") as batch_op:` around it, or null. */
function batchTable(receiver: PyNode, env: PyEnv): string | null {
  if (receiver.type !== 'identifier') return null;
  if (env.ofType('with_statement').length === 0) return null; // no `with` in the file: no batch block around it
  for (let p = receiver.parent; p; p = p.parent) {
    if (p.type !== 'with_statement') continue;
    for (const item of p.descendantsOfType('with_item')) {
      const value = item?.childForFieldName('value');
      if (value?.type !== 'as_pattern') continue;
      const target = value.childForFieldName('alias')?.text ?? named(value).at(-1)?.text;
      const call = named(value)[0];
      if (target !== receiver.text || call?.type !== 'call' || !/^op\.batch_alter_table$/.test(call.childForFieldName('function')?.text ?? '')) continue;
      return new PyValues(env.bindings, env.placeholders).name(positional(call)[0]);
    }
  }
  return null;
}

const table = (name: string, schema: string | null) => (schema ? `${schema}.${name}` : name);

/**
 * The SQL one `op.<method>(...)` call sends (`batchTable`: the table of a batch
 * block, whose calls omit it), or null when the method is not a builder miglint reads.
 */
function builder(method: string, call: PyNode, batch: string | null, env: PyEnv): BuiltSql[] | null {
  const v = new PyValues(env.bindings, env.placeholders);
  const a = positional(call);
  const kw = keywords(call);
  const k = (name: string) => kw.get(name);
  const schema = k('schema') ? v.name(k('schema')) : null;
  // Batch calls omit the table: shift the positional arguments by one.
  const arg = (i: number, tableIndex: number | null = null): PyNode | undefined => (batch !== null && tableIndex !== null && i > tableIndex ? a[i - 1] : batch !== null && i === tableIndex ? undefined : a[i]);
  // A constraint named `None` takes its name from the naming convention or from PostgreSQL.
  const constraint = (n: PyNode | undefined) => (n && v.isNone(n) ? '' : `CONSTRAINT ${qname(v.name(n))} `);
  const tbl = (i: number, kwName = 'table_name') => (batch !== null ? table(batch, schema) : table(v.name(k(kwName) ?? a[i]), schema));
  const out = (sql: string) => [v.built(sql, call)];

  switch (method) {
    case 'create_index': {
      const where = k('postgresql_where');
      return out(
        createIndexSql({
          name: v.name(k('index_name') ?? arg(0)),
          table: tbl(1),
          columns: v.names(k('columns') ?? arg(2, 1)),
          unique: v.bool(k('unique')) === true,
          concurrently: v.bool(k('postgresql_concurrently')) === true,
          ifNotExists: v.bool(k('if_not_exists')) === true,
          method: k('postgresql_using') ? v.name(k('postgresql_using')) : null,
          where: where ? v.sqlText(where) : null,
        }),
      );
    }
    case 'drop_index': {
      const name = v.name(k('index_name') ?? a[0]);
      return out(dropIndexSql(schema ? `${schema}.${name}` : name, { concurrently: v.bool(k('postgresql_concurrently')) === true, ifExists: v.bool(k('if_exists')) === true }));
    }
    case 'add_column': {
      const col = k('column') ?? arg(1, 0);
      return out(alterTableSql(tbl(0), [`ADD COLUMN ${v.bool(k('if_not_exists')) === true ? 'IF NOT EXISTS ' : ''}${columnOf(col, v)}`]));
    }
    case 'drop_column':
      return out(alterTableSql(tbl(0), [`DROP COLUMN ${v.bool(k('if_exists')) === true ? 'IF EXISTS ' : ''}${qname(v.name(k('column_name') ?? arg(1, 0)))}`]));
    case 'alter_column': {
      const t = tbl(0);
      const col = v.name(k('column_name') ?? arg(1, 0));
      const cmds: string[] = [];
      const nullable = v.bool(k('nullable'));
      // `postgresql_using="amount::bigint"` is the USING expression of the type change.
      const using = k('postgresql_using') ? ` USING ${v.sqlText(k('postgresql_using'))}` : '';
      if (k('type_')) cmds.push(`ALTER COLUMN ${qname(col)} TYPE ${v.type(k('type_'))}${using}`);
      if (nullable === false) cmds.push(`ALTER COLUMN ${qname(col)} SET NOT NULL`);
      if (nullable === true) cmds.push(`ALTER COLUMN ${qname(col)} DROP NOT NULL`);
      const def = k('server_default');
      if (def) cmds.push(v.isNone(def) || v.bool(def) === false ? `ALTER COLUMN ${qname(col)} DROP DEFAULT` : `ALTER COLUMN ${qname(col)} SET DEFAULT ${v.serverDefault(def)}`);
      const sqls = cmds.length ? [alterTableSql(t, cmds)] : [];
      const rename = k('new_column_name');
      if (rename) sqls.push(`ALTER TABLE ${qname(t)} RENAME COLUMN ${qname(col)} TO ${qname(v.name(rename))}`);
      // `existing_type=sa.String(50)` says the old type (it sends nothing): an unknown one changes nothing.
      const existing = k('existing_type');
      const oldType = existing ? v.knownType(existing) : null;
      const stated = oldType !== null ? { priorColumnTypes: { [col]: oldType } } : {};
      return sqls.map((s, i) => ({ ...v.built(s, call), ...(i === 0 ? stated : {}) }));
    }
    case 'create_foreign_key': {
      const name = constraint(k('constraint_name') ?? a[0]);
      const src = batch !== null ? table(batch, schema) : table(v.name(k('source_table') ?? a[1]), k('source_schema') ? v.name(k('source_schema')) : null);
      const o = batch !== null ? 0 : 1;
      const ref = table(v.name(k('referent_table') ?? a[1 + o]), k('referent_schema') ? v.name(k('referent_schema')) : null);
      const local = v.names(k('local_cols') ?? a[2 + o]);
      const remote = v.names(k('remote_cols') ?? a[3 + o]);
      const on = (what: string) => (k(what) ? ` ON ${what === 'ondelete' ? 'DELETE' : 'UPDATE'} ${v.name(k(what)).toUpperCase()}` : '');
      return out(alterTableSql(src, [`ADD ${name}FOREIGN KEY (${local.map(column).join(', ')}) REFERENCES ${qname(ref)} (${remote.map(column).join(', ')})${on('ondelete')}${on('onupdate')}`]));
    }
    case 'create_check_constraint':
      return out(alterTableSql(tbl(1), [`ADD ${constraint(k('constraint_name') ?? a[0])}CHECK (${v.sqlText(k('condition') ?? arg(2, 1))})`]));
    case 'create_unique_constraint':
      return out(alterTableSql(tbl(1), [`ADD ${constraint(k('constraint_name') ?? a[0])}UNIQUE (${v.names(k('columns') ?? arg(2, 1)).map(column).join(', ')})`]));
    case 'create_primary_key':
      return out(alterTableSql(tbl(1), [`ADD ${constraint(k('constraint_name') ?? a[0])}PRIMARY KEY (${v.names(k('columns') ?? arg(2, 1)).map(column).join(', ')})`]));
    case 'drop_constraint':
      return out(alterTableSql(tbl(1), [`DROP CONSTRAINT${v.bool(k('if_exists')) ? ' IF EXISTS' : ''} ${qname(v.name(k('constraint_name') ?? a[0]))}`]));
    case 'rename_table':
      if (batch !== null) return null;
      return out(`ALTER TABLE ${qname(table(v.name(k('old_table_name') ?? a[0]), schema))} RENAME TO ${qname(v.name(k('new_table_name') ?? a[1]))}`);
    case 'create_table': {
      if (batch !== null) return null;
      const defs: string[] = [];
      const pk: string[] = [];
      for (const c of a.slice(1)) {
        const u = unparen(c);
        const callee = u.type === 'call' ? (u.childForFieldName('function')?.text ?? '') : '';
        if (/(^|\.)Column$/.test(callee)) {
          defs.push(columnOf(u, v, serialKey(u, a.slice(1), v)));
          if (v.bool(keywords(u).get('primary_key'))) pk.push(v.name(positional(u)[0]));
        } else if (/(^|\.)PrimaryKeyConstraint$/.test(callee)) defs.push(`PRIMARY KEY (${positional(u).map((x) => column(v.name(x))).join(', ')})`);
        else if (/(^|\.)UniqueConstraint$/.test(callee)) defs.push(`UNIQUE (${positional(u).map((x) => column(v.name(x))).join(', ')})`);
        else if (/(^|\.)ForeignKeyConstraint$/.test(callee)) {
          const [local, remote] = positional(u);
          const refs = v.names(remote);
          const refTable = refs[0]?.includes('.') ? refs[0].slice(0, refs[0].lastIndexOf('.')) : 'unknown';
          defs.push(`FOREIGN KEY (${v.names(local).map(column).join(', ')}) REFERENCES ${qname(refTable)} (${refs.map((r) => column(r.slice(r.lastIndexOf('.') + 1))).join(', ')})`);
        } else if (/(^|\.)CheckConstraint$/.test(callee)) defs.push(`CHECK (${v.sqlText(positional(u)[0])})`);
      }
      if (pk.length > 1) {
        // Several primary_key=True columns form one composite key.
        for (let i = 0; i < defs.length; i++) defs[i] = defs[i]!.replace(' PRIMARY KEY', ' NOT NULL');
        defs.push(`PRIMARY KEY (${pk.map(column).join(', ')})`);
      }
      return out(createTableSql(table(v.name(a[0]), schema), defs, v.bool(k('if_not_exists')) === true));
    }
    case 'drop_table':
      if (batch !== null) return null;
      return out(dropTableSql(table(v.name(k('table_name') ?? a[0]), schema), { ifExists: v.bool(k('if_exists')) === true }));
    default:
      return null;
  }
}

/**
 * Whether a column of `create_table` becomes SERIAL: SQLAlchemy's `autoincrement="auto"` makes
 * the one integer primary-key column of a table (no foreign key, no default, no `sa.Identity()`)
 * `SERIAL` / `BIGSERIAL` / `SMALLSERIAL` on PostgreSQL.
 */
function serialKey(col: PyNode, all: PyNode[], v: PyValues): boolean {
  const kw = keywords(col);
  if (v.bool(kw.get('primary_key')) !== true || v.bool(kw.get('autoincrement')) === false || kw.has('server_default')) return false;
  const keys = all.filter((c) => {
    const u = unparen(c);
    return u.type === 'call' && /(^|\.)Column$/.test(u.childForFieldName('function')?.text ?? '') && v.bool(keywords(u).get('primary_key')) === true;
  });
  if (keys.length !== 1 && v.bool(kw.get('autoincrement')) !== true) return false;
  if (positional(col).slice(1).some((x) => /(^|\.)(ForeignKey|Identity|Sequence)\(/.test(x.text))) return false;
  return /^(integer|bigint|smallint)$/.test(v.type(typeArgOf(col)));
}

/**
 * The type expression of `sa.Column(...)`: the first positional argument after the name that is not
 * `ForeignKey(...)`, `Identity(...)` or `Computed(...)` (SQLAlchemy takes those in any order), else `type_=`.
 */
function typeArgOf(col: PyNode): PyNode | undefined {
  return positional(col).find((x, i) => i > 0 && !/(^|\.)(ForeignKey|Identity|Computed)\(/.test(x.text)) ?? keywords(col).get('type_');
}

const SERIAL: Record<string, string> = { integer: 'serial', bigint: 'bigserial', smallint: 'smallserial' };

/** `sa.Column("name", sa.Integer(), nullable=False, server_default=...)` as a column definition (`serial`: SQLAlchemy makes it SERIAL). */
function columnOf(n: PyNode | undefined, v: PyValues, serial = false): string {
  const u = n ? unparen(n) : null;
  if (!u || u.type !== 'call') {
    v.interpolated = true;
    return `${n ? `"${n.text.replace(/"/g, "'")}"` : '"unknown"'} text`;
  }
  const a = positional(u);
  const kw = keywords(u);
  // `sa.Identity(always=True)` / `sa.Computed("a * 2", persisted=True)` follow the type.
  const identity = a.find((x) => /(^|\.)Identity\(/.test(x.text));
  const computed = a.find((x) => /(^|\.)Computed\(/.test(x.text));
  const fk = a.find((x) => /(^|\.)ForeignKey\(/.test(x.text));
  let references: string | null = null;
  if (fk && fk.type === 'call') {
    const target = v.name(positional(fk)[0]);
    const dot = target.lastIndexOf('.');
    references = dot > 0 ? `${qname(target.slice(0, dot))} (${column(target.slice(dot + 1))})` : qname(target);
  }
  const primaryKey = v.bool(kw.get('primary_key')) === true;
  const nullable = v.bool(kw.get('nullable'));
  const def = kw.get('server_default');
  const type = v.type(typeArgOf(u));
  const generated = identity && identity.type === 'call'
    ? ` GENERATED ${v.bool(keywords(identity).get('always')) === true ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`
    : computed && computed.type === 'call'
      ? ` GENERATED ALWAYS AS (${v.sqlText(positional(computed)[0])}) STORED`
      : '';
  return columnDef({
    name: v.name(a[0] ?? kw.get('name')),
    type: serial ? (SERIAL[type] ?? type) : type + generated,
    primaryKey,
    notNull: nullable === false,
    unique: v.bool(kw.get('unique')) === true,
    default: def && !v.isNone(def) ? v.serverDefault(def) : null,
    references,
  });
}

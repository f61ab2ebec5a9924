/**
 * Django migrations (`<app>/migrations/*.py` with `class Migration(migrations.Migration)`):
 * the `operations` list, each operation translated into the SQL Django's PostgreSQL
 * schema editor sends, with the operation as span. `RunSQL(sql=..., reverse_sql=...)`
 * carries raw SQL (a string or a list of them; `reverse_sql` is the down direction).
 *
 * Table names are `<app_label>_<model_name lower-cased>` (the app label is the
 * directory above `migrations/`), or the `db_table` a `CreateModel`/`AlterModelTable`
 * of the same migration states. Django runs a migration in one transaction on
 * PostgreSQL unless the class says `atomic = False`
 * (https://docs.djangoproject.com/en/stable/howto/writing-migrations/#non-atomic-migrations).
 */
import { basename, dirname } from 'node:path';
import type { MigrationUnit } from '../../core/unit.js';
import { alterTableSql, createIndexSql, dropIndexSql, qname } from '../../sql/write.js';
import type { BuiltSql } from '../typescript/types.js';
import type { PhaseRegion, PyEnv } from './env.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
import { PyValues } from './values.js';

/** The `class Migration(...migrations.Migration)` of a file under `migrations/`, or null. */
export function djangoMigrationClass(env: PyEnv): PyNode | null {
  const underMigrations = basename(dirname(env.file)) === 'migrations';
  if (!underMigrations && !/^\s*from\s+django\.db\s+import\s+[^\n]*\bmigrations\b/m.test(env.source.text)) return null;
  for (const n of env.root.namedChildren) {
    if (n?.type !== 'class_definition') continue;
    const supers = n.childForFieldName('superclasses')?.text ?? '';
    if (n.childForFieldName('name')?.text === 'Migration' && /\bMigration\b/.test(supers)) return n;
  }
  return null;
}

/** The Django framework module (a `class Migration(migrations.Migration)`). */
export const django = {
  framework: 'django',
  name: 'Django',
  idioms: { batchedBackfill: 'in Django, a RunPython that updates one key range at a time (queryset.filter(pk__gte=lo, pk__lt=hi).update(...)) in a migration with `atomic = False`, so each batch commits on its own' },
  claims: (env: PyEnv) => djangoMigrationClass(env) !== null,
  analyse: (env: PyEnv, unit: MigrationUnit) => analyseDjango(env, unit, djangoMigrationClass(env)!),
} as const;

/** Reads a Django migration into the unit. */
export function analyseDjango(env: PyEnv, unit: MigrationUnit, cls: PyNode): void {
  const app = appLabel(env, cls);
  const body = cls.childForFieldName('body');
  const attrs = new Map<string, PyNode>();
  for (const st of body ? named(body) : []) {
    const a = st.type === 'expression_statement' ? named(st)[0] : null;
    const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
    const right = a?.childForFieldName('right');
    if (left?.type === 'identifier' && right) attrs.set(left.text, right);
  }
  const atomicNode = attrs.get('atomic');
  const atomic = atomicNode ? unparen(atomicNode).type !== 'false' : true;
  const ops = attrs.get('operations');
  const list = ops ? unparen(ops) : null;
  const regions: PhaseRegion[] = [];
  if (list) regions.push({ phase: 'up', span: { start: list.startIndex, end: list.endIndex } });

  const tables = new Map<string, string>();
  const operations = list && (list.type === 'list' || list.type === 'tuple') ? named(list) : [];
  // db_table options stated in this migration name the models' tables.
  for (const op of operations) {
    const name = opName(op);
    const kw = op.type === 'call' ? keywords(op) : new Map<string, PyNode>();
    const v = new PyValues(env.bindings, env.placeholders);
    if (name === 'CreateModel') {
      const opts = kw.get('options');
      const dbTable = opts && unparen(opts).type === 'dictionary' ? dictValue(unparen(opts), 'db_table') : null;
      const model = v.str(kw.get('name') ?? positional(op)[0]);
      if (model && dbTable) tables.set(model.toLowerCase(), v.str(dbTable) ?? '');
    } else if (name === 'AlterModelTable') {
      const model = v.str(kw.get('name') ?? positional(op)[0]);
      const t = v.str(kw.get('table') ?? positional(op)[1]);
      if (model && t) tables.set(model.toLowerCase(), t);
    }
  }
  const tableOf = (v: PyValues, model: PyNode | undefined) => {
    const m = v.str(model);
    if (m === null) return v.name(model);
    return tables.get(m.toLowerCase()) || `${app}_${m.toLowerCase()}`;
  };

  for (const op of operations) {
    if (op.type !== 'call') continue;
    const name = opName(op);
    if (name === 'RunSQL') {
      const kw = keywords(op);
      const a = positional(op);
      for (const [arg, phase] of [[kw.get('sql') ?? a[0], 'up'], [kw.get('reverse_sql') ?? a[1], 'down']] as const) {
        if (!arg) continue;
        const u = unparen(arg);
        if (phase === 'down') regions.push({ phase, span: { start: u.startIndex, end: u.endIndex } });
        if (/^migrations\.RunSQL\.noop$/.test(u.text)) continue;
        const items = u.type === 'list' || u.type === 'tuple' ? named(u) : [u];
        // A (sql, params) pair in the list: the params are values.
        for (const item of items) env.addRawSql(item.type === 'tuple' ? named(item)[0] : item, op, 'migrations.RunSQL', phase, item.type === 'tuple' ? 'driver' : null);
      }
      continue;
    }
    if (name === 'AlterField') {
      // What AlterField sends depends on the field as an earlier migration left it (Django's schema
      // editor compares the two): a type change, SET/DROP NOT NULL, a new default, or nothing at all.
      const kw = keywords(op);
      const a = positional(op);
      const v = new PyValues(env.bindings, env.placeholders);
      env.collector.unanalysed.push({
        scope: 'statement',
        message: `Not analysed: \`AlterField\` on \`${v.str(kw.get('model_name') ?? a[0]) ?? '?'}.${v.str(kw.get('name') ?? a[1]) ?? '?'}\` changes the field from its definition in an earlier migration, which miglint does not read, so what it sends (ALTER COLUMN ... TYPE, SET or DROP NOT NULL, or nothing) was not checked.`,
        help: 'Lint the SQL Django sends (`python manage.py sqlmigrate <app> <migration>` into a .sql file), or check the change by hand; suppress this once checked.',
        span: { start: op.startIndex, end: op.endIndex },
        phase: 'up',
      });
      continue;
    }
    const built = translate(name, op, env, tableOf);
    if (built) env.addBuilt(built, 'up');
  }
  unit.phaseRegions = regions;
  unit.framework = 'django';
  unit.wrapped = atomic
    ? { inTransaction: true, reason: 'Django runs each migration in a transaction on PostgreSQL (the class does not say `atomic = False`)', switchAdvice: 'set `atomic = False` on the Migration class' }
    : { inTransaction: false, reason: 'the Migration class says `atomic = False`' };
}

/**
 * The app label: the directory above `migrations/`; for a file elsewhere, the app of its
 * first dependency (a migration depends on its app's previous one), else `app`.
 */
function appLabel(env: PyEnv, cls: PyNode): string {
  if (basename(dirname(env.file)) === 'migrations') return basename(dirname(dirname(env.file)));
  const dep = /\bdependencies\s*=\s*\[\s*\(\s*['"]([A-Za-z_]\w*)['"]/.exec(cls.text);
  return dep?.[1] ?? 'app';
}

/** `migrations.AddIndex` → `AddIndex`; `AddIndexConcurrently` of django.contrib.postgres.operations too. */
function opName(op: PyNode): string {
  if (op.type !== 'call') return '';
  return (op.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
}

function dictValue(dict: PyNode, key: string): PyNode | null {
  for (const pair of named(dict)) {
    const k = pair.childForFieldName('key');
    if (k && k.text.replace(/^['"]|['"]$/g, '') === key) return pair.childForFieldName('value');
  }
  return null;
}

/** The SQL a Django operation sends, or null for operations miglint does not translate. */
function translate(name: string, op: PyNode, env: PyEnv, tableOf: (v: PyValues, model: PyNode | undefined) => string): BuiltSql[] | null {
  const v = new PyValues(env.bindings, env.placeholders);
  const kw = keywords(op);
  const a = positional(op);
  const model = kw.get('model_name') ?? a[0];
  const out = (sql: string) => [v.built(sql, op)];
  switch (name) {
    case 'AddIndex':
    case 'AddIndexConcurrently': {
      const index = unparen(kw.get('index') ?? a[1] ?? op);
      const ik = index.type === 'call' ? keywords(index) : new Map<string, PyNode>();
      const fields = v.names(ik.get('fields')).map((f) => f.replace(/^-/, ''));
      const cond = ik.get('condition');
      return out(
        createIndexSql({
          name: v.name(ik.get('name')),
          table: tableOf(v, model),
          columns: fields.length ? fields : ['unknown'],
          concurrently: name === 'AddIndexConcurrently',
          where: cond ? (v.interpolated = true, 'true') : null,
        }),
      );
    }
    case 'RemoveIndex':
    case 'RemoveIndexConcurrently':
      return out(dropIndexSql(v.name(kw.get('name') ?? a[1]), { concurrently: name === 'RemoveIndexConcurrently' }));
    case 'CreateModel': {
      // A new table (so later operations of the migration on it are on a table it created); a
      // many-to-many field is a join table of its own, not a column.
      const fields = unparen(kw.get('fields') ?? a[1] ?? op);
      const cols: string[] = [];
      for (const f of fields.type === 'list' || fields.type === 'tuple' ? named(fields) : []) {
        const pair = f.type === 'tuple' ? named(f) : [];
        const field = pair[1] ? unparen(pair[1]) : null;
        if (!pair[0] || !field || isManyToMany(field)) continue;
        cols.push(fieldColumn(v.name(pair[0]), field, v));
      }
      return out(`CREATE TABLE ${qname(tableOf(v, kw.get('name') ?? a[0]))} (${cols.join(', ')})`);
    }
    case 'AddField': {
      const field = unparen(kw.get('field') ?? a[2] ?? op);
      if (isManyToMany(field)) return null; // a new join table, no column
      const col = v.name(kw.get('name') ?? a[1]);
      return out(alterTableSql(tableOf(v, model), [`ADD COLUMN ${fieldColumn(col, field, v)}`]));
    }
    case 'RemoveField':
      return out(alterTableSql(tableOf(v, model), [`DROP COLUMN ${qname(v.name(kw.get('name') ?? a[1]))}`]));
    case 'RenameField':
      return out(`ALTER TABLE ${qname(tableOf(v, model))} RENAME COLUMN ${qname(v.name(kw.get('old_name') ?? a[1]))} TO ${qname(v.name(kw.get('new_name') ?? a[2]))}`);
    case 'RenameModel': {
      const oldModel = kw.get('old_name') ?? a[0];
      const newName = v.str(kw.get('new_name') ?? a[1]);
      const app = tableOf(v, oldModel).replace(/_[^_]*$/, '');
      return out(`ALTER TABLE ${qname(tableOf(v, oldModel))} RENAME TO ${qname(newName ? `${app}_${newName.toLowerCase()}` : v.name(kw.get('new_name') ?? a[1]))}`);
    }
    case 'AddConstraint': {
      const c = unparen(kw.get('constraint') ?? a[1] ?? op);
      const ck = c.type === 'call' ? keywords(c) : new Map<string, PyNode>();
      const kind = opName(c);
      const cname = qname(v.name(ck.get('name')));
      if (kind === 'UniqueConstraint') return out(alterTableSql(tableOf(v, model), [`ADD CONSTRAINT ${cname} UNIQUE (${v.names(ck.get('fields')).map((f) => qname(f)).join(', ')})`]));
      v.interpolated = true;
      return out(alterTableSql(tableOf(v, model), [`ADD CONSTRAINT ${cname} CHECK (true)`]));
    }
    default:
      return null;
  }
}

const isManyToMany = (field: PyNode) => /(^|\.)ManyToManyField$/.test(field.childForFieldName('function')?.text ?? '');

/** A Django model field as a column definition: NOT NULL unless `null=True`; a `default` is not in the database (Django fills it in). */
function fieldColumn(col: string, field: PyNode, v: PyValues): string {
  const fk = field.type === 'call' ? keywords(field) : new Map<string, PyNode>();
  const notNull = v.bool(fk.get('null')) !== true;
  const dbDefault = fk.get('db_default');
  // Django adds a NOT NULL column with a default by setting the default for the existing rows and dropping it again.
  // A string field with `blank=True` and no default has the effective default '' (Django's schema editor,
  // `effective_default`), which it sends for the existing rows the same way.
  const cls = (field.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
  const blankString = v.bool(fk.get('blank')) === true && (/^(CharField|TextField|SlugField|EmailField|URLField|BinaryField)$/.test(cls) || fk.has('max_length'));
  const def = dbDefault ? ' DEFAULT $1' : notNull && (fk.get('default') || blankString) ? ' DEFAULT $1' : '';
  if (def) v.interpolated = true;
  const isFk = /(^|\.)(ForeignKey|OneToOneField)$/.test(field.childForFieldName('function')?.text ?? '');
  return `${qname(isFk ? `${col}_id` : col)} ${djangoType(field, v)}${notNull ? ' NOT NULL' : ''}${def}`;
}

/** A Django field class's PostgreSQL type. */
function djangoType(field: PyNode, v: PyValues): string {
  const cls = (field.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
  const fk = field.type === 'call' ? keywords(field) : new Map<string, PyNode>();
  const len = fk.get('max_length')?.text;
  const TYPES: Record<string, string> = {
    AutoField: 'integer',
    BigAutoField: 'bigint',
    IntegerField: 'integer',
    BigIntegerField: 'bigint',
    SmallIntegerField: 'smallint',
    PositiveIntegerField: 'integer',
    BooleanField: 'boolean',
    TextField: 'text',
    DateTimeField: 'timestamptz',
    DateField: 'date',
    TimeField: 'time',
    DurationField: 'interval',
    FloatField: 'double precision',
    DecimalField: 'numeric',
    UUIDField: 'uuid',
    JSONField: 'jsonb',
    BinaryField: 'bytea',
    ForeignKey: 'bigint',
    OneToOneField: 'bigint',
    GenericIPAddressField: 'inet',
  };
  if (/^(CharField|SlugField|EmailField|URLField)$/.test(cls)) return len && /^\d+$/.test(len) ? `varchar(${len})` : 'varchar';
  const t = TYPES[cls];
  if (t) return t;
  v.interpolated = true;
  return `"${cls || 'unknown'}"`;
}

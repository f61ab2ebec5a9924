/**
 * The SQL one Django migration operation sends on PostgreSQL (Django's
 * `DatabaseSchemaEditor` for the postgresql backend), with the operation as span.
 * Operations whose SQL depends on state this file does not hold (`AlterField`,
 * `RunPython`, ...) are read in django.ts, which reports them as not analysed.
 */
import { alterTableSql, createIndexSql, dropIndexSql, dropTableSql, literal, qname } from '../../sql/write.js';
import type { BuiltSql } from '../typescript/types.js';
import type { PyEnv } from './env.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
import { PyValues } from './values.js';
import { dbDefaultSql, dbType, defaultSql, effectiveDefault, isAuto, isUnknown, readField, typeSuffix } from './django-fields.js';

/** The table of a model (a string naming it, or an expression): `<app>_<model>` or a `db_table` of this migration. */
export type TableOf = (v: PyValues, model: PyNode | undefined) => string;

/** `migrations.AddIndex` → `AddIndex`; `AddIndexConcurrently` of django.contrib.postgres.operations too. */
export function opName(op: PyNode): string {
  if (op.type !== 'call') return '';
  return (op.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
}

/** django.contrib.postgres.operations' extension operations and the extension each creates. */
const EXTENSIONS: Record<string, string> = {
  BloomExtension: 'bloom',
  BtreeGinExtension: 'btree_gin',
  BtreeGistExtension: 'btree_gist',
  CITextExtension: 'citext',
  CryptoExtension: 'pgcrypto',
  HStoreExtension: 'hstore',
  TrigramExtension: 'pg_trgm',
  UnaccentExtension: 'unaccent',
};

/** `RangeOperators.OVERLAPS` and friends of django.contrib.postgres.fields as their SQL operators. */
const RANGE_OPERATORS: Record<string, string> = { EQUAL: '=', NOT_EQUAL: '<>', CONTAINS: '@>', CONTAINED_BY: '<@', OVERLAPS: '&&', FULLY_LT: '<<', FULLY_GT: '>>', NOT_LT: '&>', NOT_GT: '&<', ADJACENT_TO: '-|-' };

/**
 * The SQL a Django operation sends: statements (an empty list for an operation that
 * sends none miglint needs, like a many-to-many `AddField`, whose join table is new),
 * or null for operations this module does not translate.
 */
export function translate(name: string, op: PyNode, env: PyEnv, tableOf: TableOf): BuiltSql[] | null {
  const v = new PyValues(env.bindings, env.placeholders);
  const kw = keywords(op);
  const a = positional(op);
  const model = kw.get('model_name') ?? a[0];
  const out = (...sql: string[]) => sql.map((s) => v.built(s, op));
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
          where: cond ? ((v.interpolated = true), 'true') : null,
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
    case 'DeleteModel':
      return out(dropTableSql(tableOf(v, kw.get('name') ?? a[0]), { cascade: true }));
    case 'AddField': {
      const field = unparen(kw.get('field') ?? a[2] ?? op);
      if (isManyToMany(field)) return []; // a new join table, no column
      const col = v.name(kw.get('name') ?? a[1]);
      const table = tableOf(v, model);
      const sql = [alterTableSql(table, [`ADD COLUMN ${fieldColumn(col, field, v)}`])];
      // A foreign key (and any `db_index=True` field) gets an index, built after the column, in the migration's transaction.
      const fk = field.type === 'call' ? keywords(field) : new Map<string, PyNode>();
      const indexed = isForeignKey(field) ? v.bool(fk.get('db_index')) !== false : v.bool(fk.get('db_index')) === true;
      if (indexed && v.bool(fk.get('unique')) !== true && !/OneToOneField$/.test(field.childForFieldName('function')?.text ?? '')) {
        sql.push(`CREATE INDEX ON ${qname(table)} (${qname(isForeignKey(field) ? `${col}_id` : col)})`);
      }
      return out(...sql);
    }
    case 'RemoveField':
      return out(alterTableSql(tableOf(v, model), [`DROP COLUMN ${qname(v.name(kw.get('name') ?? a[1]))} CASCADE`]));
    case 'RenameField':
      return out(`ALTER TABLE ${qname(tableOf(v, model))} RENAME COLUMN ${qname(v.name(kw.get('old_name') ?? a[1]))} TO ${qname(v.name(kw.get('new_name') ?? a[2]))}`);
    case 'RenameModel': {
      const oldModel = kw.get('old_name') ?? a[0];
      const newName = v.str(kw.get('new_name') ?? a[1]);
      const app = tableOf(v, oldModel).replace(/_[^_]*$/, '');
      return out(`ALTER TABLE ${qname(tableOf(v, oldModel))} RENAME TO ${qname(newName ? `${app}_${newName.toLowerCase()}` : v.name(kw.get('new_name') ?? a[1]))}`);
    }
    case 'AddConstraint':
    case 'AddConstraintNotValid':
      return out(constraintSql(unparen(kw.get('constraint') ?? a[1] ?? op), tableOf(v, model), v, name === 'AddConstraintNotValid'));
    case 'RemoveConstraint':
      return out(alterTableSql(tableOf(v, model), [`DROP CONSTRAINT ${qname(v.name(kw.get('name') ?? a[1]))}`]));
    case 'ValidateConstraint':
      return out(alterTableSql(tableOf(v, model), [`VALIDATE CONSTRAINT ${qname(v.name(kw.get('name') ?? a[1]))}`]));
    case 'RenameIndex': {
      const oldName = kw.get('old_name');
      // `old_fields=` names an unnamed index by its columns: which index that is lives in the database.
      if (!oldName) return null;
      return out(`ALTER INDEX ${qname(v.name(oldName))} RENAME TO ${qname(v.name(kw.get('new_name') ?? a[1]))}`);
    }
    case 'AlterModelTableComment': {
      const comment = v.str(kw.get('table_comment') ?? a[1]);
      if (comment === null) v.interpolated = true;
      return out(`COMMENT ON TABLE ${qname(tableOf(v, kw.get('name') ?? a[0]))} IS ${comment === null ? '$1' : literal(comment)}`);
    }
    case 'CreateExtension':
      return out(`CREATE EXTENSION IF NOT EXISTS ${qname(v.name(kw.get('name') ?? a[0]))}`);
    default:
      if (EXTENSIONS[name]) return out(`CREATE EXTENSION IF NOT EXISTS ${qname(EXTENSIONS[name])}`);
      return null;
  }
}

/**
 * `models.UniqueConstraint` / `CheckConstraint` / `ExclusionConstraint` as what Django sends:
 * a unique constraint with a condition, expressions, `include` or `opclasses` is a unique
 * index (Django creates those as `CREATE UNIQUE INDEX`), the others `ADD CONSTRAINT`.
 */
function constraintSql(c: PyNode, table: string, v: PyValues, notValid: boolean): string {
  const ck = c.type === 'call' ? keywords(c) : new Map<string, PyNode>();
  const kind = opName(c);
  const name = v.name(ck.get('name'));
  const tail = notValid ? ' NOT VALID' : '';
  if (kind === 'UniqueConstraint') {
    const expressions = positional(c);
    if (ck.has('condition') || expressions.length || ck.has('include') || ck.has('opclasses')) {
      const cols = v.names(ck.get('fields'));
      if (expressions.length || ck.has('condition') || ck.has('opclasses')) v.interpolated = true;
      return createIndexSql({ name, table, unique: true, columns: cols.length ? cols : ['unknown'], include: v.names(ck.get('include')), where: ck.has('condition') ? 'true' : null });
    }
    return alterTableSql(table, [`ADD CONSTRAINT ${qname(name)} UNIQUE (${v.names(ck.get('fields')).map((f) => qname(f)).join(', ')})`]);
  }
  if (kind === 'ExclusionConstraint') {
    const elements: string[] = [];
    const exprs = unparen(ck.get('expressions') ?? c);
    for (const e of exprs.type === 'list' || exprs.type === 'tuple' ? named(exprs) : []) {
      const [field, operator] = e.type === 'tuple' ? named(e) : [];
      const op = operator ? (v.str(operator) ?? RANGE_OPERATORS[operator.text.split('.').pop() ?? '']) : undefined;
      if (!field || !op) v.interpolated = true;
      elements.push(`${field && v.str(field) !== null ? qname(v.str(field)!) : ((v.interpolated = true), '"unknown"')} WITH ${op ?? '='}`);
    }
    const using = ck.get('index_type') ? v.name(ck.get('index_type')) : 'gist';
    return alterTableSql(table, [`ADD CONSTRAINT ${qname(name)} EXCLUDE USING ${using} (${elements.length ? elements.join(', ') : ((v.interpolated = true), '"unknown" WITH =')})`]);
  }
  // A CheckConstraint's condition is a Q object: its SQL is Django's to write.
  v.interpolated = true;
  return alterTableSql(table, [`ADD CONSTRAINT ${qname(name)} CHECK (true)${tail}`]);
}

const isManyToMany = (field: PyNode) => /(^|\.)ManyToManyField$/.test(field.childForFieldName('function')?.text ?? '');
const isForeignKey = (field: PyNode) => /(^|\.)(ForeignKey|OneToOneField)$/.test(field.childForFieldName('function')?.text ?? '');

/**
 * A Django model field as a column definition: NOT NULL unless `null=True`; a `db_default` is the
 * column's default. A `default` is not in the database (Django fills it in), but Django adds a NOT
 * NULL column with its `effective_default` (django-fields.ts, as AlterField reads it) by setting
 * that default for the existing rows and dropping it again.
 */
function fieldColumn(col: string, field: PyNode, v: PyValues): string {
  const fk = field.type === 'call' ? keywords(field) : new Map<string, PyNode>();
  const notNull = v.bool(fk.get('null')) !== true;
  const f = readField(field, v);
  const effective = isUnknown(f) ? (fk.has('default') ? '?' : null) : effectiveDefault(f);
  const d = !isUnknown(f) && 'db_default' in f.kw ? dbDefaultSql(f.kw.db_default!) : notNull && effective !== null ? defaultSql(effective) : null;
  if (d?.interpolated) v.interpolated = true;
  const def = d ? ` DEFAULT ${d.sql}` : '';
  const cls = (field.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
  // Django writes PRIMARY KEY or UNIQUE into the column definition (`_iter_column_sql`).
  const key = v.bool(fk.get('primary_key')) === true ? ' PRIMARY KEY' : v.bool(fk.get('unique')) === true || /OneToOneField$/.test(cls) ? ' UNIQUE' : '';
  return `${qname(isForeignKey(field) ? `${col}_id` : col)} ${djangoType(field, v)}${notNull && !key.includes('PRIMARY') ? ' NOT NULL' : ''}${key}${def}`;
}

/**
 * A Django field's PostgreSQL type, as the state replay reads it (django-fields.ts `dbType`): a
 * relation takes bigint, the key type of Django's default `BigAutoField` (its target's key is known
 * only from the app's earlier migrations). An unknown class or type argument is a placeholder.
 */
function djangoType(field: PyNode, v: PyValues): string {
  const f = readField(field, v);
  if (!isUnknown(f)) {
    const t = dbType(f, () => 'bigint');
    if (t !== null) return isAuto(f) ? `${t} ${typeSuffix(f)}` : t;
  }
  v.interpolated = true;
  const cls = isUnknown(f) ? ((field.childForFieldName('function')?.text ?? '').split('.').pop() ?? '') : f.cls;
  return `"${cls || 'unknown'}"`;
}

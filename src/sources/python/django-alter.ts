/**
 * Django's `AlterField` as the SQL the PostgreSQL schema editor sends for it
 * (django/db/backends/base/schema.py `alter_field`/`_alter_field`, postgresql/schema.py),
 * given the field's earlier definition from the app's migration state (django-state.ts):
 *
 * - nothing when only attributes Django keeps out of the database change
 *   (`_field_should_be_altered`: verbose_name, help_text, choices, blank, validators,
 *   on_delete, related_name, ...), or the model is not managed;
 * - a foreign key's constraint dropped first and added again last (validating every row)
 *   whenever anything else of the field changes, `default` included;
 * - a unique constraint, an index (and PostgreSQL's `_like` index of a varchar/text column),
 *   the positive integer fields' CHECK dropped or added;
 * - `RENAME COLUMN` for a new `db_column`;
 * - `ALTER COLUMN ... TYPE ... [USING col::type]` when the column type changes (USING when the
 *   backend's type template differs, as `_using_sql` decides), identity added or dropped for
 *   auto fields; the statement says the old type, so a binary-coercible change is seen as one;
 * - `SET`/`DROP DEFAULT` for `db_default`; `DROP NOT NULL`, or `SET NOT NULL` with the default
 *   set for the change (and, with a `default`, `UPDATE ... WHERE col IS NULL` first).
 *
 * Index and constraint names are Django's (`_create_index_name`); the ones it drops it finds
 * in the database, and are written here as Django would have named them.
 */
import { literal, qname } from '../../sql/write.js';
import type { BuiltSql } from '../typescript/types.js';
import { checkOf, columnOf, dbConstraintOf, dbDefaultSql, dbIndexOf, dbType, defaultSql, djangoIndexName, effectiveDefault, flag, isAuto, isManyToMany, isRelation, isUnknown, NON_DB, nullOf, readField, sameTypeArguments, text, typeSuffix, typeTemplate, uniqueOf, type FieldDef } from './django-fields.js';
import type { AppState } from './django-state.js';
import type { PyNode } from './parse.js';
import { keywords, positional } from './strings.js';
import type { PyValues } from './values.js';

/** What an AlterField sends, or why miglint cannot say. */
export type AlterResult = { built: BuiltSql[]; unanalysed?: string } | { unknown: string };


/**
 * The SQL of `migrations.AlterField(model_name, name, field)` on PostgreSQL, or why it is not known.
 * @param state the app's state just before the operation (not changed here).
 */
export function alterField(op: PyNode, v: PyValues, state: AppState): AlterResult {
  const kw = keywords(op);
  const a = positional(op);
  const model = v.str(kw.get('model_name') ?? a[0]);
  const name = v.str(kw.get('name') ?? a[1]);
  if (model === null || name === null) return { unknown: 'its model or field name is not a string literal' };
  const neu = readField(kw.get('field') ?? a[2], v);
  if (isUnknown(neu)) return { unknown: neu.unknown };
  return alterKnown(op, v, state, model, name, neu, name);
}

/**
 * `RenameField` as Django runs it: `alter_field` from the field under its old name to the same
 * field under the new one, so the column is renamed unless `db_column` fixes it, and a foreign
 * key's constraint is dropped and added again. Null when the field's definition is not known
 * (the caller then writes the plain RENAME COLUMN).
 */
export function renameField(op: PyNode, v: PyValues, state: AppState): AlterResult | null {
  const kw = keywords(op);
  const a = positional(op);
  const model = v.str(kw.get('model_name') ?? a[0]);
  const from = v.str(kw.get('old_name') ?? a[1]);
  const to = v.str(kw.get('new_name') ?? a[2]);
  if (model === null || from === null || to === null) return null;
  const r = alterKnown(op, v, state, model, from, null, to);
  return 'unknown' in r ? null : r;
}

/**
 * The one path of AlterField and RenameField: `alter_field` of the field `name` of `model` as the
 * state knows it to `neu` (null: the same definition) under `newName`, with the operation as span
 * and each statement's earlier column types (`priorColumnTypes`).
 */
function alterKnown(op: PyNode, v: PyValues, state: AppState, model: string, name: string, neu: FieldDef | null, newName: string): AlterResult {
  const old = state.field(model, name);
  if (isUnknown(old)) return { unknown: old.unknown };
  const m = state.model(model)!;
  if (!m.managed) return { built: [] };
  const sql = alterFieldSql(m.table, state.app, name, old, neu ?? old, (to) => relatedTable(state, to, model), (to, toField) => relatedType(state, to, toField, model), newName);
  if ('unknown' in sql) return sql;
  return {
    built: sql.statements.map((s) => ({ sql: s.sql, span: { start: op.startIndex, end: op.endIndex }, interpolated: v.interpolated || s.interpolated, ...(s.prior ? { priorColumnTypes: s.prior } : {}) })),
    ...(sql.unanalysed ? { unanalysed: sql.unanalysed } : {}),
  };
}

/**
 * `RemoveField` of a field the state knows: its column (`<name>_id` for a foreign key,
 * `db_column`), or the join table of a many-to-many field (`<table>_<name>`, Django's
 * auto-created through table). Null when the field is not known.
 */
export function removeField(op: PyNode, v: PyValues, state: AppState): BuiltSql[] | null {
  const kw = keywords(op);
  const a = positional(op);
  const model = v.str(kw.get('model_name') ?? a[0]);
  const name = v.str(kw.get('name') ?? a[1]);
  if (model === null || name === null) return null;
  const f = state.field(model, name);
  if (isUnknown(f)) return null;
  const m = state.model(model)!;
  const span = { start: op.startIndex, end: op.endIndex };
  if (!m.managed) return [];
  if (isManyToMany(f)) return 'through' in f.kw ? [] : [{ sql: `DROP TABLE ${qname(`${m.table}_${name.toLowerCase()}`)} CASCADE`, span, interpolated: v.interpolated }];
  return [{ sql: `ALTER TABLE ${qname(m.table)} DROP COLUMN ${qname(columnOf(name, f))} CASCADE`, span, interpolated: v.interpolated }];
}

/** The table and key column a relation's `to` points at: this app's from the state, another app's by Django's default naming. */
function relatedTable(state: AppState, to: string | null, self: string): { table: string; column: string } | null {
  if (to === null) return null;
  const m = state.related(to, self);
  if (m) {
    const pk = [...m.fields].find(([, f]) => !isUnknown(f) && flag(f, 'primary_key', false) === true);
    return { table: m.table, column: pk && !isUnknown(pk[1]) ? columnOf(pk[0], pk[1]) : 'id' };
  }
  const [app, model] = to.split('.', 2);
  return model ? { table: `${app}_${model.toLowerCase()}`, column: 'id' } : null;
}

function relatedType(state: AppState, to: string | null, toField: string | null, self: string): string | null {
  const m = state.related(to, self);
  if (!m) return null;
  const key = [...m.fields].find(([n, f]) => !isUnknown(f) && (toField ? n === toField : flag(f, 'primary_key', false) === true));
  if (!key || isUnknown(key[1])) return null;
  return dbType(key[1], () => null);
}

interface Sql {
  sql: string;
  interpolated: boolean;
  prior?: Record<string, string>;
}

/** `to` as Django compares it: lower case, `app.model`. */
const target = (f: FieldDef, app: string) => {
  const to = text(f, 'to') ?? f.kw.to ?? '';
  return (to.includes('.') || !text(f, 'to') ? to : `${app}.${to}`).toLowerCase();
};

/** `_field_should_be_altered`: the deconstructed fields differ outside `non_db_attrs` (and `to`, when both point at one table), or the column does. */
function shouldAlter(old: FieldDef, neu: FieldDef, oldCol: string, newCol: string, sameTarget: boolean, ignore: string[] = []): boolean {
  if (oldCol !== newCol || old.path.split('.').pop() !== neu.path.split('.').pop()) return true;
  const skip = new Set([...NON_DB, ...ignore, ...(sameTarget ? ['to'] : [])]);
  const keys = new Set([...Object.keys(old.kw), ...Object.keys(neu.kw)]);
  for (const k of keys) if (!skip.has(k) && old.kw[k] !== neu.kw[k]) return true;
  return false;
}

/**
 * Whether two effective defaults are equal as Django compares them (the values, a callable
 * called): a literal or an empty container's type (`dict`, `list`) equals itself; now() or any
 * other callable (`uuid.uuid4`) gives a new value each time.
 */
function sameDefault(a: string | null, b: string): boolean {
  return a === b && (/^("|-?\d|True$|False$)/.test(b) || /^(dict|list|set|tuple|str|int|float|bool)$/.test(b));
}

const isText = (t: string | null, base: string) => !!t && t.startsWith(base) && !t.includes('[');

/**
 * The statements of `_alter_field` for `old` → `neu` on `table` (see the module comment), or
 * why they cannot be written; `unanalysed` names a part that is not translated (the columns of
 * other tables that reference a key whose type changes).
 */
function alterFieldSql(
  table: string,
  app: string,
  name: string,
  old: FieldDef,
  neu: FieldDef,
  toTable: (to: string | null) => { table: string; column: string } | null,
  related: (to: string | null, toField: string | null) => string | null,
  newName = name,
): { statements: Sql[]; unanalysed?: string } | { unknown: string } {
  const oldCol = columnOf(name, old);
  const newCol = columnOf(newName, neu);
  const sameTarget = isRelation(old) && isRelation(neu) && target(old, app) === target(neu, app) && old.kw.to_field === neu.kw.to_field;
  if (!shouldAlter(old, neu, oldCol, newCol, sameTarget)) return { statements: [] };
  // Many-to-many fields with their own `through` models on both sides: Django's alter_field does nothing (the through models' operations do).
  if (isManyToMany(old) && isManyToMany(neu) && 'through' in old.kw && 'through' in neu.kw) return { statements: [] };
  if (isManyToMany(old) || isManyToMany(neu)) return { unknown: 'it changes a many-to-many field, whose join table miglint does not follow' };
  for (const [f, which] of [[old, 'earlier'], [neu, 'new']] as const) {
    for (const k of ['null', 'unique', 'db_index', 'primary_key', 'db_constraint']) if (k in f.kw && flag(f, k, false) === null) return { unknown: `the ${which} definition's \`${k}\` is \`${f.kw[k]}\`, not True or False` };
  }
  const oldType = dbType(old, related);
  const newType = dbType(neu, related);
  const sameType = sameTarget || sameTypeArguments(old, neu) || (oldType !== null && oldType === newType);
  if (!sameType && (oldType === null || newType === null)) {
    const f = oldType === null ? old : neu;
    return { unknown: `the column type of the ${f === old ? 'earlier' : 'new'} \`${f.path}\`${isRelation(f) ? ` (the key type of \`${text(f, 'to') ?? f.kw.to}\`)` : ''} is not one miglint knows` };
  }
  const out: Sql[] = [];
  let interpolated = false;
  const q = qname(table);
  const add = (sql: string, extra: Partial<Sql> = {}) => out.push({ sql, interpolated: false, ...extra });
  const oldPk = flag(old, 'primary_key', false) === true;
  const newPk = flag(neu, 'primary_key', false) === true;
  const oldUnique = uniqueOf(old);
  const newUnique = uniqueOf(neu);
  const oldIndex = dbIndexOf(old);
  const newIndex = dbIndexOf(neu);
  const fkName = (f: FieldDef, col: string) => {
    const t = toTable(text(f, 'to'));
    return djangoIndexName(table, [col], t ? `_fk_${t.table}_${t.column}` : '_fk');
  };
  const typeChanges = !sameType || typeSuffix(old) !== typeSuffix(neu);
  const collationChanges = old.kw.db_collation !== neu.kw.db_collation;
  const commentChanges = old.kw.db_comment !== neu.kw.db_comment;
  let unanalysed: string | undefined;

  // 1. The foreign key's constraint goes first, to be added again at the end.
  const fksDropped = dbConstraintOf(old) && shouldAlter(old, neu, oldCol, newCol, sameTarget, ['db_comment']);
  if (fksDropped) add(`ALTER TABLE ${q} DROP CONSTRAINT ${qname(fkName(old, oldCol))}`);
  // 2. A unique constraint removed (a primary key's is its own).
  const oldOwnUnique = oldUnique && !oldPk;
  if (oldOwnUnique && (!newUnique || (!oldPk && newPk))) add(`ALTER TABLE ${q} DROP CONSTRAINT ${qname(djangoIndexName(table, [oldCol], '_uniq'))}`);
  // 3. Other tables' foreign keys to a key whose type changes.
  if (((oldPk && newPk) || (oldUnique && newUnique)) && (typeChanges || collationChanges)) unanalysed = `the columns of other tables that reference \`${oldCol}\` are changed to its new type too, which miglint does not read`;
  // 4. The index of db_index=True (and its _like twin), when it goes or a unique constraint takes its place.
  if (oldIndex && !oldUnique && (!newIndex || newUnique)) {
    add(`DROP INDEX IF EXISTS ${qname(djangoIndexName(table, [oldCol]))}`);
    if (isText(oldType, 'varchar') || isText(oldType, 'text')) add(`DROP INDEX IF EXISTS ${qname(djangoIndexName(table, [oldCol], '_like'))}`);
  }
  // 5. The positive integer fields' CHECK.
  const oldCheck = checkOf(old);
  const newCheck = checkOf(neu);
  if (oldCheck && oldCheck !== newCheck) add(`ALTER TABLE ${q} DROP CONSTRAINT ${qname(djangoIndexName(table, [oldCol], '_check'))}`);
  // 6. A new db_column.
  if (oldCol !== newCol) add(`ALTER TABLE ${q} RENAME COLUMN ${qname(oldCol)} TO ${qname(newCol)}`);
  const col = qname(newCol);
  const actions: string[] = [];
  const nullActions: string[] = [];
  const post: string[] = [];
  let prior: Record<string, string> | undefined;
  // 7. The type (with collation or comment).
  if (typeChanges || collationChanges || commentChanges) {
    if (newType === null) return { unknown: `the column type of \`${neu.path}\` is not one miglint knows` };
    const textChange = (oldIndex || oldUnique) && ((isText(oldType, 'varchar') && !isText(newType, 'varchar')) || (isText(oldType, 'text') && !isText(newType, 'text')) || (isText(oldType, 'citext') && !isText(newType, 'citext')));
    if (textChange) add(`DROP INDEX IF EXISTS ${qname(djangoIndexName(table, [oldCol], '_like'))}`);
    const collation = text(neu, 'db_collation');
    const using = oldType !== null && typeTemplate(old, oldType) !== typeTemplate(neu, newType) ? ` USING ${col}::${newType}` : '';
    if (isAuto(old) && !isAuto(neu)) add(`ALTER TABLE ${q} ALTER COLUMN ${col} DROP IDENTITY IF EXISTS`);
    actions.push(`ALTER COLUMN ${col} TYPE ${newType}${collation ? ` COLLATE ${qname(collation)}` : ''}${using}`);
    if (isAuto(neu) && !isAuto(old)) post.push(`ALTER TABLE ${q} ALTER COLUMN ${col} ADD GENERATED BY DEFAULT AS IDENTITY`);
    if (commentChanges) post.push(`COMMENT ON COLUMN ${q}.${col} IS ${literal(text(neu, 'db_comment') ?? '')}`);
    if (oldType !== null) prior = { [newCol]: oldType };
  }
  // 8. db_default.
  if ('db_default' in neu.kw && neu.kw.db_default !== old.kw.db_default) {
    const d = dbDefaultSql(neu.kw.db_default!);
    interpolated ||= d.interpolated;
    actions.push(`ALTER COLUMN ${col} SET DEFAULT ${d.sql}`);
  } else if ('db_default' in old.kw && !('db_default' in neu.kw)) actions.push(`ALTER COLUMN ${col} DROP DEFAULT`);
  // 9. NULL → NOT NULL: the default set for the change, then dropped again.
  const oldNull = nullOf(old) === true;
  const newNull = nullOf(neu) === true;
  let needsDefault = false;
  const newDefault = effectiveDefault(neu);
  if (oldNull && !newNull && !('db_default' in neu.kw)) {
    if (newDefault !== null && !sameDefault(effectiveDefault(old), newDefault)) {
      needsDefault = true;
      const d = defaultSql(newDefault);
      interpolated ||= d.interpolated;
      actions.push(`ALTER COLUMN ${col} SET DEFAULT ${d.sql}`);
    }
  }
  if (oldNull !== newNull) nullActions.push(`ALTER COLUMN ${col} ${newNull ? 'DROP' : 'SET'} NOT NULL`);
  const fourWay = ('default' in neu.kw || 'db_default' in neu.kw) && oldNull && !newNull;
  if (actions.length || nullActions.length) {
    const first = fourWay ? actions : [...actions, ...nullActions];
    if (first.length) add(`ALTER TABLE ${q} ${first.join(', ')}`, { interpolated, ...(prior ? { prior } : {}) });
    if (fourWay) {
      const d = 'db_default' in neu.kw ? dbDefaultSql(neu.kw.db_default!) : defaultSql(newDefault ?? 'None');
      add(`UPDATE ${q} SET ${col} = ${d.sql} WHERE ${col} IS NULL`, { interpolated: d.interpolated });
      for (const n of nullActions) add(`ALTER TABLE ${q} ${n}`);
    }
  }
  for (const p of post) add(p);
  // 10. Keys, uniques and indexes added.
  if (oldPk && !newPk) add(`ALTER TABLE ${q} DROP CONSTRAINT ${qname(`${table}_pkey`)}`);
  if (!newPk && newUnique && (!oldUnique || oldPk)) add(`ALTER TABLE ${q} ADD CONSTRAINT ${qname(djangoIndexName(table, [newCol], '_uniq'))} UNIQUE (${col})`);
  if ((!oldIndex || oldUnique) && newIndex && !newUnique) add(`CREATE INDEX ${qname(djangoIndexName(table, [newCol]))} ON ${q} (${col})`);
  if (!oldPk && newPk) {
    add(`ALTER TABLE ${q} ADD CONSTRAINT ${qname(djangoIndexName(table, [newCol], '_pk'))} PRIMARY KEY (${col})`);
    unanalysed ??= `the columns of other tables that reference the new primary key \`${newCol}\` are changed too, which miglint does not read`;
  }
  // 11. The foreign key's constraint, added again (or for the first time): every row is checked.
  if (isRelation(neu) && (fksDropped || !isRelation(old) || !dbConstraintOf(old)) && dbConstraintOf(neu)) {
    const t = toTable(text(neu, 'to'));
    const ref = t ? `${qname(t.table)} (${qname(t.column)})` : `"${(neu.kw.to ?? 'unknown').replace(/"/g, '')}" ("id")`;
    add(`ALTER TABLE ${q} ADD CONSTRAINT ${qname(fkName(neu, newCol))} FOREIGN KEY (${col}) REFERENCES ${ref} DEFERRABLE INITIALLY DEFERRED`, { interpolated: !t });
  }
  // 12. The new CHECK.
  if (newCheck && oldCheck !== newCheck) add(`ALTER TABLE ${q} ADD CONSTRAINT ${qname(djangoIndexName(table, [newCol], '_check'))} CHECK (${newCheck.replace('%c', col)})`);
  if (needsDefault) add(`ALTER TABLE ${q} ALTER COLUMN ${col} DROP DEFAULT`);
  // 13. PostgreSQL's _like index of a varchar/text column that gets an index, or loses its last one.
  const likeType = isText(newType, 'varchar') ? 'varchar_pattern_ops' : isText(newType, 'text') ? 'text_pattern_ops' : null;
  const textChange = (oldIndex || oldUnique) && !!oldType && !!newType && ((isText(oldType, 'varchar') && !isText(newType, 'varchar')) || (isText(oldType, 'text') && !isText(newType, 'text')));
  if (likeType && ((!(oldIndex || oldUnique) && newIndex) || (!oldUnique && newUnique) || textChange)) add(`CREATE INDEX ${qname(djangoIndexName(table, [newCol], '_like'))} ON ${q} (${col} ${likeType})`);
  if (oldUnique && !(newIndex || newUnique) && (isText(oldType, 'varchar') || isText(oldType, 'text'))) add(`DROP INDEX IF EXISTS ${qname(djangoIndexName(table, [oldCol], '_like'))}`);
  return { statements: out, ...(unanalysed ? { unanalysed } : {}) };
}

/**
 * Django model fields as plain data (`FieldDef`), read once out of a migration's syntax
 * tree so that the state of an app (django-state.ts) outlives the trees it was read from,
 * and what Django's PostgreSQL backend makes of a field: its column type (the backend's
 * `data_types`, django/db/backends/postgresql/base.py), NULL, unique, index, check and
 * column name (`Field.db_parameters`, `Field.column`).
 */
import { createHash } from 'node:crypto';
import { literal } from '../../sql/write.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
import type { PyValues } from './values.js';

/** A field as its migration writes it. */
export interface FieldDef {
  /** The callee as written: `models.CharField`, `django_countries.fields.CountryField`. */
  path: string;
  /** Its last segment: `CharField`. */
  cls: string;
  /**
   * The arguments, keyword by keyword (positional ones under their parameter's name): a string
   * literal as its JSON, anything else as its source without white space.
   */
  kw: Record<string, string>;
  /** `ArrayField(base_field=...)`'s base field, when it is a field call. */
  base?: FieldDef;
}

/** A field miglint could not read, and why (for the message that says so). */
export interface UnknownField {
  unknown: string;
}

export const isUnknown = (f: FieldDef | UnknownField | undefined): f is UnknownField => !!f && 'unknown' in f;

/** Positional parameters of Django's field classes: `ForeignKey(to, on_delete)`, `Field(verbose_name, name)`. */
const POSITIONAL: Record<string, string[]> = {
  ForeignKey: ['to', 'on_delete'],
  OneToOneField: ['to', 'on_delete'],
  ManyToManyField: ['to'],
  ArrayField: ['base_field', 'size'],
  DecimalField: ['verbose_name', 'name', 'max_digits', 'decimal_places'],
};

/** Reads a field call (`models.CharField(max_length=20, null=True)`) into a `FieldDef`, or says why it cannot. */
export function readField(node: PyNode | undefined, v: PyValues): FieldDef | UnknownField {
  if (!node) return { unknown: 'the operation gives no field' };
  const u = v.resolve(node);
  if (u.type !== 'call') return { unknown: `the field is \`${short(u.text)}\`, not a field call` };
  const path = (u.childForFieldName('function')?.text ?? '').replace(/\s+/g, '');
  const cls = path.split('.').pop() ?? '';
  const args = u.childForFieldName('arguments');
  if (args && named(args).some((a) => a.type === 'list_splat' || a.type === 'dictionary_splat')) return { unknown: `the field \`${short(u.text)}\` passes arguments with * or **` };
  const kw: Record<string, string> = {};
  const names = POSITIONAL[cls] ?? (/(ForeignKey|OneToOneField)$/.test(cls) ? POSITIONAL.ForeignKey! : ['verbose_name', 'name']);
  positional(u).forEach((a, i) => (kw[names[i] ?? `#${i}`] = value(a, v)));
  for (const [k, n] of keywords(u)) kw[k] = value(n, v);
  const f: FieldDef = { path, cls, kw };
  const baseNode = keywords(u).get('base_field') ?? (cls === 'ArrayField' ? positional(u)[0] : undefined);
  if (baseNode) {
    const base = readField(baseNode, v);
    if (!isUnknown(base)) f.base = base;
  }
  return f;
}

function value(n: PyNode, v: PyValues): string {
  const s = unparen(n).type === 'string' || unparen(n).type === 'concatenated_string' ? v.str(n) : null;
  if (s !== null) return JSON.stringify(s);
  return unparen(n).text.replace(/\s+/g, '').replace(/,([\])}])/g, '$1');
}

const short = (t: string) => {
  const s = t.replace(/\s+/g, ' ').trim();
  return s.length > 50 ? `${s.slice(0, 49)}…` : s;
};

/** A keyword's value as a Python bool: `True`/`False`, `absent` when not given, null for an expression. */
export function flag(f: FieldDef, k: string, absent: boolean): boolean | null {
  const t = f.kw[k];
  if (t === undefined) return absent;
  return t === 'True' ? true : t === 'False' ? false : null;
}

/** A string keyword's value (`to="product.Product"`), or null. */
export function text(f: FieldDef, k: string): string | null {
  const t = f.kw[k];
  if (t === undefined || !t.startsWith('"')) return null;
  try {
    return JSON.parse(t) as string;
  } catch {
    return null;
  }
}

export const isRelation = (f: FieldDef) => /(^|\.)(ForeignKey|OneToOneField|TreeForeignKey|TreeOneToOneField)$/.test(f.path);
export const isManyToMany = (f: FieldDef) => /(^|\.)(ManyToManyField|TreeManyToManyField)$/.test(f.path);
export const isAuto = (f: FieldDef) => /^(AutoField|BigAutoField|SmallAutoField)$/.test(f.cls);

/** The field's column: `db_column`, else the name (`<name>_id` for a foreign key). */
export function columnOf(name: string, f: FieldDef): string {
  return text(f, 'db_column') ?? (isRelation(f) ? `${name}_id` : name);
}

/** Django's `Field.null` (null when the argument is an expression). */
export const nullOf = (f: FieldDef) => flag(f, 'null', false);
/** Django's `Field.unique`: `unique=True`, a primary key, or a one-to-one field. */
export const uniqueOf = (f: FieldDef) => flag(f, 'primary_key', false) === true || /OneToOneField$/.test(f.cls) || flag(f, 'unique', false) === true;
/** Django's `Field.db_index`: a foreign key's defaults to True. */
export const dbIndexOf = (f: FieldDef) => flag(f, 'db_index', isRelation(f) && !/OneToOneField$/.test(f.cls)) === true;
/** Django's `Field.db_constraint` of a relation. */
export const dbConstraintOf = (f: FieldDef) => isRelation(f) && flag(f, 'db_constraint', true) !== false;

/** Django's `Field.non_db_attrs`: never in the database. */
export const NON_DB: ReadonlySet<string> = new Set(['blank', 'choices', 'db_column', 'editable', 'error_messages', 'help_text', 'limit_choices_to', 'on_delete', 'related_name', 'related_query_name', 'validators', 'verbose_name']);

/** Keywords that never change a column's type (`NON_DB` and the attributes `_alter_field` handles apart from the type). */
const NOT_TYPE = new Set([
  ...NON_DB,
  'null', 'default', 'db_default', 'unique', 'db_index', 'db_comment', 'db_tablespace', 'unique_for_date', 'unique_for_month', 'unique_for_year', 'auto_now', 'auto_now_add',
  'serialize', 'auto_created', 'upload_to', 'storage', 'width_field', 'height_field', 'db_constraint', 'swappable', 'name',
]);

/** Whether two fields of one class differ only in keywords that do not change the column type (the type is then the same, whatever it is). */
export function sameTypeArguments(a: FieldDef, b: FieldDef): boolean {
  if (a.path !== b.path) return false;
  const keys = new Set([...Object.keys(a.kw), ...Object.keys(b.kw)]);
  for (const k of keys) if (!NOT_TYPE.has(k) && a.kw[k] !== b.kw[k]) return false;
  return true;
}

/** The column types of Django's PostgreSQL backend (`DatabaseWrapper.data_types`) and of common third-party fields. */
const TYPES: Record<string, string> = {
  AutoField: 'integer',
  BigAutoField: 'bigint',
  SmallAutoField: 'smallint',
  BinaryField: 'bytea',
  BooleanField: 'boolean',
  NullBooleanField: 'boolean',
  DateField: 'date',
  DateTimeField: 'timestamp with time zone',
  DurationField: 'interval',
  FloatField: 'double precision',
  IntegerField: 'integer',
  BigIntegerField: 'bigint',
  IPAddressField: 'inet',
  GenericIPAddressField: 'inet',
  JSONField: 'jsonb',
  PositiveBigIntegerField: 'bigint',
  PositiveIntegerField: 'integer',
  PositiveSmallIntegerField: 'smallint',
  SmallIntegerField: 'smallint',
  TextField: 'text',
  TimeField: 'time',
  UUIDField: 'uuid',
  // django.contrib.postgres
  HStoreField: 'hstore',
  SearchVectorField: 'tsvector',
  CITextField: 'citext',
  CICharField: 'citext',
  CIEmailField: 'citext',
  IntegerRangeField: 'int4range',
  BigIntegerRangeField: 'int8range',
  DecimalRangeField: 'numrange',
  DateTimeRangeField: 'tstzrange',
  DateRangeField: 'daterange',
  // django-measurement (a FloatField)
  MeasurementField: 'double precision',
};

/** varchar fields and the `max_length` Django gives them when the migration does not say one. */
const VARCHAR: Record<string, number | null> = {
  CharField: null,
  EmailField: 254,
  URLField: 200,
  SlugField: 50,
  FileField: 100,
  ImageField: 100,
  FilePathField: 100,
  // django-countries, django-phonenumber-field
  CountryField: null,
  PhoneNumberField: 128,
};

/** Classes whose `data_types` entry is the same template (`_using_sql` compares those, not the typmod). */
const TEMPLATE: Record<string, string> = { CharField: 'CharField', EmailField: 'CharField', URLField: 'CharField', CountryField: 'CharField', PhoneNumberField: 'CharField' };

/**
 * Looks up the type of a relation's target: the `db_type` of the primary key (or `to_field`) of
 * the model `to` names (`product.Product`, `self`), or null when miglint does not know it.
 */
export type RelatedType = (to: string | null, toField: string | null) => string | null;

/**
 * The column type Django's PostgreSQL backend gives a field (`db_parameters()['type']`), or null
 * when miglint does not know the class or an argument the type depends on is not a literal.
 * A relation has its target's key type (`rel_db_type`: an auto field's integer type).
 */
export function dbType(f: FieldDef, related: RelatedType): string | null {
  if (isManyToMany(f)) return null;
  if (isRelation(f)) {
    const t = related(text(f, 'to'), text(f, 'to_field'));
    return t?.replace(/^(integer|bigint|smallint) .*$/, '$1') ?? null;
  }
  if (f.cls in VARCHAR) {
    const len = f.kw.max_length ?? (VARCHAR[f.cls] === null ? undefined : String(VARCHAR[f.cls]));
    if (len === undefined) return f.cls === 'CharField' ? 'varchar' : null;
    return /^\d+$/.test(len) ? `varchar(${len})` : null;
  }
  if (f.cls === 'DecimalField') {
    const p = f.kw.max_digits;
    const s = f.kw.decimal_places;
    return p && s && /^\d+$/.test(p) && /^\d+$/.test(s) ? `numeric(${p}, ${s})` : null;
  }
  if (f.cls === 'ArrayField') {
    const base = f.base ? dbType(f.base, related) : null;
    const size = f.kw.size;
    if (!base || (size !== undefined && size !== 'None' && !/^\d+$/.test(size))) return null;
    return `${base}[${size && size !== 'None' ? size : ''}]`;
  }
  return TYPES[f.cls] ?? null;
}

/** The key `_using_sql` compares (the backend's `data_types` template of the internal type): USING is added when it differs. */
export function typeTemplate(f: FieldDef, type: string): string {
  if (isRelation(f)) return type;
  if (f.cls in VARCHAR) return TEMPLATE[f.cls] ?? 'varchar(%(max_length)s)';
  if (f.cls === 'DecimalField') return 'numeric(%(max_digits)s, %(decimal_places)s)';
  if (f.cls === 'ArrayField') return `array:${type}`;
  return type.replace(/\(.*$/, '');
}

/** The identity suffix Django's auto fields have on PostgreSQL (`db_type_suffix`). */
export const typeSuffix = (f: FieldDef) => (isAuto(f) ? 'GENERATED BY DEFAULT AS IDENTITY' : '');

/** The CHECK constraint a field carries (`data_type_check_constraints`: the positive integer fields), with `%c` for the column. */
export function checkOf(f: FieldDef): string | null {
  return /^Positive(Big|Small)?IntegerField$/.test(f.cls) ? '%c >= 0' : null;
}

/**
 * The name Django gives an index or constraint it creates (`_create_index_name`):
 * `<table>_<columns>_<md5 digest of 8><suffix>`, shortened to PostgreSQL's 63 bytes.
 */
export function djangoIndexName(table: string, columns: string[], suffix = ''): string {
  const t = table.includes('.') ? table.slice(table.lastIndexOf('.') + 1) : table;
  const h = createHash('md5');
  for (const x of [t, ...columns]) h.update(x);
  let hashSuffix = `${h.digest('hex').slice(0, 8)}${suffix}`;
  const max = 63;
  const whole = `${t}_${columns.join('_')}_${hashSuffix}`;
  if (whole.length <= max) return whole;
  if (hashSuffix.length > max / 3) hashSuffix = hashSuffix.slice(0, Math.floor(max / 3));
  const other = Math.floor((max - hashSuffix.length) / 2) - 1;
  let name = `${t.slice(0, other)}_${columns.join('_').slice(0, other)}_${hashSuffix}`;
  if (name[0] === '_' || /\d/.test(name[0]!)) name = `D${name.slice(0, -1)}`;
  return name;
}

/**
 * Field classes whose blank value is '' (`Field.empty_strings_allowed`, b'' for BinaryField):
 * Django's string fields and common third-party ones. A class miglint does not know that takes a
 * `max_length` is taken for a CharField subclass. GenericIPAddressField, JSONField and the number,
 * date and UUID fields do not allow empty strings.
 */
const EMPTY_STRINGS = /^(CharField|TextField|SlugField|EmailField|URLField|FileField|ImageField|FilePathField|CountryField|PhoneNumberField|CICharField|CITextField|CIEmailField|BinaryField)$/;

const knownClass = (f: FieldDef) => f.cls in TYPES || f.cls in VARCHAR || f.cls === 'DecimalField' || f.cls === 'ArrayField' || isRelation(f) || isManyToMany(f);

/**
 * Django's `effective_default` (base/schema.py `_effective_default`), the value the schema editor
 * sends for the existing rows when a column becomes NOT NULL (AddField, AlterField): the `default`
 * (as `FieldDef.kw` writes it; `None` is none), '' for a blank string field that is not null,
 * `now()` for `auto_now`/`auto_now_add` (a value Django computes); null when there is none.
 */
export function effectiveDefault(f: FieldDef): string | null {
  if ('default' in f.kw) return f.kw.default === 'None' ? null : f.kw.default!;
  if (nullOf(f) === false && flag(f, 'blank', false) === true && (EMPTY_STRINGS.test(f.cls) || (!knownClass(f) && 'max_length' in f.kw))) return '""';
  if (flag(f, 'auto_now', false) || flag(f, 'auto_now_add', false)) return 'now()';
  return null;
}

/**
 * A Python value (as `FieldDef.kw` writes it) as the SQL value Django sends for it: a string,
 * number or bool literal as itself; anything else (a callable, a datetime Django computes) a parameter.
 */
export function defaultSql(py: string): { sql: string; interpolated: boolean } {
  if (py.startsWith('"')) {
    try {
      return { sql: literal(JSON.parse(py) as string), interpolated: false };
    } catch {
      return { sql: '$1', interpolated: true };
    }
  }
  if (/^-?\d+(\.\d+)?$/.test(py)) return { sql: py, interpolated: false };
  if (py === 'True' || py === 'False') return { sql: py.toLowerCase(), interpolated: false };
  return { sql: '$1', interpolated: true };
}

/**
 * A `db_default` (Django 5.0) as SQL: a literal as `defaultSql` reads it, `Now()` now() (stable),
 * `RandomUUID()` of django.contrib.postgres.functions gen_random_uuid() (volatile); other
 * expressions a parameter.
 */
export function dbDefaultSql(py: string): { sql: string; interpolated: boolean } {
  if (/(^|\.)Now\(\)$/.test(py)) return { sql: 'now()', interpolated: false };
  if (/(^|\.)RandomUUID\(\)$/.test(py)) return { sql: 'gen_random_uuid()', interpolated: false };
  return defaultSql(py);
}

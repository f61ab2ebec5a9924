/**
 * Typed ALTER TABLE subcommands, column definitions, types and constraints, as
 * statement facts (src/sql/facts.ts) hand them to rules: what libpg-query's
 * `AlterTableCmd`, `ColumnDef` and `Constraint` nodes say, in PostgreSQL's words.
 *
 * PostgreSQL behaviour relied on (sql-altertable.html, sql-createtable.html):
 * - `serial`/`bigserial`/`smallserial` are not types but a column with a sequence
 *   default (`nextval(...)`) and NOT NULL (datatype-numeric.html#DATATYPE-SERIAL);
 * - a PRIMARY KEY makes its columns NOT NULL;
 * - `NOT VALID` sets the parser's `skip_validation` (only CHECK, FOREIGN KEY and,
 *   from 18, NOT NULL constraints accept it).
 * The lock level of each subcommand is `alterTableCmdMode` (src/sql/locks.ts).
 */
import type { ColumnDef, Constraint, Node, TypeName } from 'libpg-query';
import { FileMemo } from '../core/file-memo.js';
import type { LockMode } from './lock-modes.js';
import { alterTableCmdMode, alterTableSubcommandName, stringList } from './locks.js';
import { fromRangeVar, type RelationName } from './names.js';
import { expressionVolatility, type Volatility } from './volatility.js';

/** A column type as written, canonicalised by the parser (`varchar(50)` → name `varchar`, typmods `[50]`; `int` → `int4`). */
export interface TypeFact {
  /** The schema the parser or the SQL gives (`pg_catalog` for built-ins spelled with SQL keywords), or null. */
  schema: string | null;
  /** The type's name as stored in pg_type (`varchar`, `int4`, `timestamptz`, `serial` for the pseudo-type). */
  name: string;
  /** Type modifiers that are integer constants (`varchar(50)` → `[50]`, `numeric(10,2)` → `[10, 2]`); null for a non-constant one. */
  typmods: (number | null)[];
  /** An array type (`text[]`). */
  array: boolean;
  /** For messages: `varchar(50)`, `int4[]`. */
  text: string;
}

/** A DEFAULT expression, as far as its volatility goes (see src/sql/volatility.ts). */
export interface DefaultFact {
  volatility: Volatility;
  /** Functions it calls, lower-cased, schema-qualified as written (`now`, `pg_catalog.nextval`). */
  functions: string[];
  /** Why the verdict is uncertain, e.g. an unknown function taken as volatile. */
  note?: string;
}

export type ConstraintKind = 'check' | 'foreign-key' | 'unique' | 'primary-key' | 'exclude' | 'not-null';

export interface ConstraintFact {
  kind: ConstraintKind;
  /** The constraint's name as written; null when PostgreSQL picks one. */
  name: string | null;
  /** Written with `NOT VALID`: existing rows are not checked now. */
  notValid: boolean;
  /** `... USING INDEX idx` (UNIQUE / PRIMARY KEY on an existing index). */
  usingIndex: string | null;
  /** Columns it is on, as written (FK: the referencing columns; NOT NULL: the one column). */
  columns: string[];
  /** The referenced table of a foreign key. */
  references: RelationName | null;
  /** For a CHECK of the form `col IS NOT NULL`: that column (the 12+ `SET NOT NULL` recipe). */
  checksNotNull: string | null;
  /** Clauses beyond the columns that an index-backed constraint carries (`INCLUDE`, `NULLS NOT DISTINCT`, `WITH`, `USING INDEX TABLESPACE`, `DEFERRABLE`); empty when none. */
  indexOptions: string[];
}

export interface ColumnFact {
  name: string;
  type: TypeFact | null;
  /** `NOT NULL`, `PRIMARY KEY`, or a serial type. */
  notNull: boolean;
  primaryKey: boolean;
  unique: boolean;
  /** Its DEFAULT; a serial column's implicit `nextval()` counts (volatile). */
  default: DefaultFact | null;
  generated: 'stored' | 'virtual' | null;
  identity: 'always' | 'by-default' | null;
  /** `serial`, `bigserial`, `smallserial` (or `serial4`, `serial8`, `serial2`). */
  serial: boolean;
  /** Column constraints other than NULL/NOT NULL/DEFAULT/identity/generated: CHECK, REFERENCES, UNIQUE, PRIMARY KEY. */
  constraints: ConstraintFact[];
}

interface Common {
  /** libpg-query's subtype (`AT_AddColumn`), or the RenameStmt form (`RENAME_COLUMN`). */
  subtype: string;
  /** The subcommand as SQL, for messages (`ADD COLUMN`, `ALTER COLUMN ... TYPE`). */
  operation: string;
  /** The lock it takes on the altered table (sql-altertable.html), on the facts' pgVersion. */
  lock: LockMode;
}

export type AlterSubcommand = Common &
  (
    | { kind: 'add-column'; column: ColumnFact; ifNotExists: boolean }
    /** `oldType`: the column's type before, when the unit says it (statement facts fill it from the schema delta). */
    | { kind: 'alter-column-type'; column: string; type: TypeFact | null; using: boolean; oldType: TypeFact | null; /** Set when `oldType` is known from an earlier migration file: that file's name. */ oldTypeFrom?: string }
    | { kind: 'set-not-null'; column: string }
    | { kind: 'drop-not-null'; column: string }
    /** `SET DEFAULT expr`, or `DROP DEFAULT` (default null). */
    | { kind: 'set-default'; column: string; default: DefaultFact | null }
    | { kind: 'add-constraint'; constraint: ConstraintFact }
    | { kind: 'validate-constraint'; name: string }
    | { kind: 'drop-constraint'; name: string; ifExists: boolean; cascade: boolean }
    | { kind: 'drop-column'; column: string; ifExists: boolean; cascade: boolean }
    | { kind: 'rename-column'; from: string; to: string }
    | { kind: 'rename-table'; to: string }
    | { kind: 'rename-constraint'; from: string; to: string }
    | { kind: 'attach-partition'; partition: RelationName | null }
    | { kind: 'detach-partition'; partition: RelationName | null; concurrently: boolean; finalize: boolean }
    | { kind: 'set-tablespace' }
    | { kind: 'set-logged'; logged: boolean }
    | { kind: 'other' }
  );

/** A TypeName node as a TypeFact; null when it has no name. */
export function typeFact(t: TypeName | undefined): TypeFact | null {
  const names = (t?.names ?? []).flatMap((n) => ('String' in n && n.String.sval !== undefined ? [n.String.sval] : []));
  if (!t || names.length === 0) return null;
  const name = names[names.length - 1]!;
  const schema = names.length > 1 ? names[names.length - 2]! : null;
  const typmods = (t.typmods ?? []).map((m) => ('A_Const' in m ? (m.A_Const.ival ? (m.A_Const.ival.ival ?? 0) : null) : null));
  const array = (t.arrayBounds ?? []).length > 0;
  const mods = typmods.length ? `(${typmods.map((m) => m ?? '?').join(',')})` : '';
  return { schema, name, typmods, array, text: `${name}${mods}${array ? '[]' : ''}` };
}

const SERIALS = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);

/** Whether a type is one of the serial pseudo-types (datatype-numeric.html#DATATYPE-SERIAL). */
export function isSerial(t: TypeFact | null): boolean {
  return t !== null && (t.schema === null || t.schema === 'pg_catalog') && SERIALS.has(t.name) && !t.array;
}

function names(list: Node[] | undefined): string[] {
  return (list ?? []).flatMap((n) => ('String' in n && n.String.sval !== undefined ? [n.String.sval] : 'IndexElem' in n && n.IndexElem.name ? [n.IndexElem.name] : []));
}

/** The column a `col IS NOT NULL` expression tests, or null. */
function isNotNullTest(expr: Node | undefined): string | null {
  if (!expr || !('NullTest' in expr) || expr.NullTest.nulltesttype !== 'IS_NOT_NULL') return null;
  const arg = expr.NullTest.arg;
  if (!arg || !('ColumnRef' in arg)) return null;
  const fields = stringList({ List: { items: arg.ColumnRef.fields ?? [] } });
  return fields.length === 1 ? fields[0]! : null;
}

const KINDS: Partial<Record<string, ConstraintKind>> = {
  CONSTR_CHECK: 'check',
  CONSTR_FOREIGN: 'foreign-key',
  CONSTR_UNIQUE: 'unique',
  CONSTR_PRIMARY: 'primary-key',
  CONSTR_EXCLUSION: 'exclude',
  CONSTR_NOTNULL: 'not-null',
};

/** A table or column constraint node as a ConstraintFact; null for the forms that are not constraints proper (DEFAULT, NULL, identity, generated). */
export function constraintFact(c: Constraint, column?: string): ConstraintFact | null {
  const kind = KINDS[c.contype ?? ''];
  if (!kind) return null;
  const cols = kind === 'foreign-key' ? names(c.fk_attrs) : kind === 'not-null' ? names(c.keys) : names(c.keys);
  return {
    kind,
    name: c.conname ?? null,
    notValid: !!c.skip_validation,
    usingIndex: c.indexname ?? null,
    columns: cols.length ? cols : column !== undefined ? [column] : [],
    references: fromRangeVar(c.pktable),
    checksNotNull: kind === 'check' ? isNotNullTest(c.raw_expr) : null,
    indexOptions: [
      ...(c.including?.length ? ['INCLUDE'] : []),
      ...(c.nulls_not_distinct ? ['NULLS NOT DISTINCT'] : []),
      ...(c.options?.length ? ['WITH'] : []),
      ...(c.indexspace ? ['USING INDEX TABLESPACE'] : []),
      ...(c.deferrable ? ['DEFERRABLE'] : []),
    ],
  };
}

/** Each column definition's ColumnFact: read for its statement's facts, its schema delta, its folder's replay and the type rules. */
const columnFacts = new FileMemo<ColumnDef, ColumnFact>();

/** A column definition (`CREATE TABLE`, `ADD COLUMN`) as a ColumnFact, made once per definition and shared: read it, never change it. */
export function columnFact(def: ColumnDef): ColumnFact {
  let fact = columnFacts.get(def);
  if (!fact) columnFacts.set(def, (fact = columnFactUncached(def)));
  return fact;
}

function columnFactUncached(def: ColumnDef): ColumnFact {
  const type = typeFact(def.typeName);
  const serial = isSerial(type);
  const out: ColumnFact = {
    name: def.colname ?? '?',
    type,
    notNull: serial || !!def.is_not_null,
    primaryKey: false,
    unique: false,
    default: serial ? { volatility: 'volatile', functions: ['nextval'] } : null,
    generated: null,
    identity: null,
    serial,
    constraints: [],
  };
  if (def.raw_default) out.default = defaultFact(def.raw_default);
  for (const n of def.constraints ?? []) {
    if (!('Constraint' in n)) continue;
    const c = n.Constraint;
    switch (c.contype) {
      case 'CONSTR_NOTNULL':
        out.notNull = true;
        break;
      case 'CONSTR_NULL':
        out.notNull = serial;
        break;
      case 'CONSTR_DEFAULT':
        out.default = c.raw_expr ? defaultFact(c.raw_expr) : null;
        break;
      case 'CONSTR_IDENTITY':
        out.identity = c.generated_when === 'd' ? 'by-default' : 'always';
        out.notNull = true;
        break;
      case 'CONSTR_GENERATED':
        // generated_kind 's' = STORED, 'v' = VIRTUAL (18+; the default there when neither is written).
        out.generated = c.generated_kind === 's' ? 'stored' : 'virtual';
        break;
      default: {
        const f = constraintFact(c, out.name);
        if (!f) break;
        if (f.kind === 'primary-key') {
          out.primaryKey = true;
          out.notNull = true;
        }
        if (f.kind === 'unique') out.unique = true;
        out.constraints.push(f);
      }
    }
  }
  return out;
}

/** A DEFAULT expression's facts. */
export function defaultFact(expr: Node): DefaultFact {
  const v = expressionVolatility(expr);
  return { volatility: v.volatility, functions: v.functions, ...(v.note ? { note: v.note } : {}) };
}

/**
 * Whether `ALTER COLUMN col TYPE t USING expr` computes something else than the plain
 * conversion: false for `USING col` and `USING col::t` (the same conversion PostgreSQL
 * applies without USING, so the same rewrite rules hold), true for any other expression.
 */
function usingChangesValue(expr: Node | undefined, column: string, to: TypeFact | null): boolean {
  if (!expr) return false;
  const isColumn = (n: Node | undefined) => !!n && 'ColumnRef' in n && stringList({ List: { items: n.ColumnRef.fields ?? [] } }).join('.') === column;
  if (isColumn(expr)) return false;
  if ('TypeCast' in expr && isColumn(expr.TypeCast.arg)) {
    const t = typeFact(expr.TypeCast.typeName);
    return !(t && to && t.text === to.text && t.schema === to.schema);
  }
  return true;
}

type Cmd = { subtype?: string; name?: string; def?: Node; missing_ok?: boolean; behavior?: string };

/**
 * The `alterSubcommands` answers per node, by version: a statement's are asked for its facts, its
 * schema delta, its folder's history replay and by rules (`robustnessGaps` asks for version 0).
 */
const subcommandsOf = new FileMemo<Node, { pgVersion: number; subs: readonly AlterSubcommand[] }[]>();

/**
 * The typed subcommands of an `ALTER TABLE` (or `ALTER MATERIALIZED VIEW`) statement, and of a
 * `RenameStmt` on a table, column or table constraint; `[]` for any other statement.
 * Each carries its lock on the altered table on PostgreSQL `pgVersion` (e.g. 15).
 * The answer is shared by every caller for the node and version: read it, never change it.
 */
export function alterSubcommands(node: Node, pgVersion: number): readonly AlterSubcommand[] {
  if (!('AlterTableStmt' in node) && !('RenameStmt' in node)) return NONE;
  let kept = subcommandsOf.get(node);
  if (!kept) subcommandsOf.set(node, (kept = []));
  for (const k of kept) if (k.pgVersion === pgVersion) return k.subs;
  const subs = subcommandsUncached(node, pgVersion);
  kept.push({ pgVersion, subs });
  return subs;
}
const NONE: readonly AlterSubcommand[] = Object.freeze([]);

function subcommandsUncached(node: Node, pgVersion: number): AlterSubcommand[] {
  if ('RenameStmt' in node) {
    const s = node.RenameStmt;
    const base = { lock: 'ACCESS EXCLUSIVE' as LockMode, subtype: s.renameType ?? '?' };
    if (s.renameType === 'OBJECT_COLUMN') return [{ ...base, kind: 'rename-column', operation: 'RENAME COLUMN', from: s.subname ?? '?', to: s.newname ?? '?' }];
    if (s.renameType === 'OBJECT_TABLE') return [{ ...base, kind: 'rename-table', operation: 'RENAME TO', to: s.newname ?? '?' }];
    if (s.renameType === 'OBJECT_TABCONSTRAINT') return [{ ...base, kind: 'rename-constraint', operation: 'RENAME CONSTRAINT', from: s.subname ?? '?', to: s.newname ?? '?' }];
    return [];
  }
  if (!('AlterTableStmt' in node) || node.AlterTableStmt.objtype === 'OBJECT_INDEX') return [];
  return (node.AlterTableStmt.cmds ?? []).map((n) => {
    const c: Cmd = 'AlterTableCmd' in n ? (n.AlterTableCmd as Cmd) : {};
    const common: Common = { subtype: c.subtype ?? '?', operation: alterTableSubcommandName(c.subtype), lock: alterTableCmdMode(c, pgVersion) };
    const col = c.name ?? '?';
    const def = c.def;
    const cascade = c.behavior === 'DROP_CASCADE';
    switch (c.subtype) {
      case 'AT_AddColumn':
        if (def && 'ColumnDef' in def) return { ...common, kind: 'add-column', column: columnFact(def.ColumnDef), ifNotExists: !!c.missing_ok };
        break;
      case 'AT_AlterColumnType': {
        const cd = def && 'ColumnDef' in def ? def.ColumnDef : undefined;
        return { ...common, kind: 'alter-column-type', column: col, type: typeFact(cd?.typeName), using: usingChangesValue(cd?.raw_default, col, typeFact(cd?.typeName)), oldType: null };
      }
      case 'AT_SetNotNull':
        return { ...common, kind: 'set-not-null', column: col };
      case 'AT_DropNotNull':
        return { ...common, kind: 'drop-not-null', column: col };
      case 'AT_ColumnDefault':
        return { ...common, kind: 'set-default', column: col, default: def ? defaultFact(def) : null };
      case 'AT_AddConstraint': {
        const f = def && 'Constraint' in def ? constraintFact(def.Constraint) : null;
        if (f) return { ...common, kind: 'add-constraint', constraint: f };
        break;
      }
      case 'AT_ValidateConstraint':
        return { ...common, kind: 'validate-constraint', name: col };
      case 'AT_DropConstraint':
        return { ...common, kind: 'drop-constraint', name: col, ifExists: !!c.missing_ok, cascade };
      case 'AT_DropColumn':
        return { ...common, kind: 'drop-column', column: col, ifExists: !!c.missing_ok, cascade };
      case 'AT_AttachPartition':
      case 'AT_DetachPartition':
      case 'AT_DetachPartitionFinalize': {
        const p = def && 'PartitionCmd' in def ? def.PartitionCmd : undefined;
        const partition = fromRangeVar(p?.name);
        if (c.subtype === 'AT_AttachPartition') return { ...common, kind: 'attach-partition', partition };
        return { ...common, kind: 'detach-partition', partition, concurrently: !!p?.concurrent, finalize: c.subtype === 'AT_DetachPartitionFinalize' };
      }
      case 'AT_SetTableSpace':
        return { ...common, kind: 'set-tablespace' };
      case 'AT_SetLogged':
      case 'AT_SetUnLogged':
        return { ...common, kind: 'set-logged', logged: c.subtype === 'AT_SetLogged' };
    }
    return { ...common, kind: 'other' };
  });
}

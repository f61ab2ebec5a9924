/**
 * Column definitions as statement facts: the columns a `CREATE TABLE` defines and
 * the columns an `ALTER TABLE ... ADD COLUMN` adds, each with whether it is a
 * **key column**, and where its type is written in the statement's SQL (for fixes
 * that rewrite the type in place).
 *
 * A key column is one whose values identify rows, so that running out of values
 * stops inserts (datatype-numeric.html: `integer` ends at 2^31-1, `smallint` at
 * 2^15-1). Here a column is a key column when the same statement makes it
 * - the table's PRIMARY KEY (a column constraint, or a table constraint on that one
 *   column; a member of a composite primary key, such as `level` in
 *   `PRIMARY KEY (user_id, level)`, counts only by one of the next two),
 * - an identity column (`GENERATED ... AS IDENTITY`) or a serial column (its values
 *   come from a sequence), or
 * - a referencing column of a FOREIGN KEY (`REFERENCES` on the column, or a table
 *   constraint `FOREIGN KEY (col) REFERENCES ...`): it holds another table's key.
 * A UNIQUE column alone is not a key column, and a constraint added by a later
 * statement does not make an earlier column one.
 */
import { parseSync, type Node } from 'libpg-query';
import { columnFact, constraintFact, type ColumnFact, type ConstraintFact } from './alter.js';
import { fromRangeVar, type RelationName } from './names.js';
import { locationOffset } from './parse.js';

export type KeyReason = 'primary-key' | 'identity' | 'serial' | 'foreign-key';

export interface DefinedColumn {
  column: ColumnFact;
  /** Why it is a key column (the first that applies, in this order), or null. */
  key: KeyReason | null;
  /** The table it is defined on, as written. */
  table: RelationName | null;
  via: 'create-table' | 'add-column';
}

function keyReason(c: ColumnFact, tableConstraints: readonly ConstraintFact[]): KeyReason | null {
  const all = [...c.constraints, ...tableConstraints.filter((k) => k.columns.includes(c.name))];
  // A member of a composite key (`PRIMARY KEY (user_id, level)`) identifies nothing alone: it is a key column only as an FK, identity or serial.
  if (c.primaryKey || all.some((k) => k.kind === 'primary-key' && k.columns.length <= 1)) return 'primary-key';
  if (c.identity) return 'identity';
  if (c.serial) return 'serial';
  if (all.some((k) => k.kind === 'foreign-key')) return 'foreign-key';
  return null;
}

/**
 * The columns a statement defines: a `CREATE TABLE`'s column definitions (not `LIKE`
 * or `PARTITION OF` columns, which copy types miglint does not see) and every
 * `ADD COLUMN` of an `ALTER TABLE`; `[]` for any other statement. Never throws.
 */
export function definedColumns(node: Node): DefinedColumn[] {
  if ('CreateStmt' in node) {
    const s = node.CreateStmt;
    const table = fromRangeVar(s.relation);
    const elts = s.tableElts ?? [];
    const tableConstraints = elts.flatMap((e) => ('Constraint' in e ? [constraintFact(e.Constraint)].flatMap((k) => (k ? [k] : [])) : []));
    return elts.flatMap((e) => {
      if (!('ColumnDef' in e)) return [];
      const column = columnFact(e.ColumnDef);
      return [{ column, key: keyReason(column, tableConstraints), table, via: 'create-table' as const }];
    });
  }
  if ('AlterTableStmt' in node && node.AlterTableStmt.objtype !== 'OBJECT_INDEX') {
    const table = fromRangeVar(node.AlterTableStmt.relation);
    return (node.AlterTableStmt.cmds ?? []).flatMap((n) => {
      const c = 'AlterTableCmd' in n ? n.AlterTableCmd : undefined;
      if (c?.subtype !== 'AT_AddColumn' || !c.def || !('ColumnDef' in c.def)) return [];
      const column = columnFact(c.def.ColumnDef);
      return [{ column, key: keyReason(column, []), table, via: 'add-column' as const }];
    });
  }
  return [];
}

/** `timestamp(3) without time zone`, `character varying(20)`, `double precision`, `int4`: a type's words and typmods (no array bounds). */
const MODS = String.raw`(?:\s*\(\s*\d+\s*(?:,\s*-?\d+\s*)?\))?`;
const TYPE_TEXT = new RegExp(
  String.raw`^(?:(?:timestamp|time)\b${MODS}(?:\s+with(?:out)?\s+time\s+zone)?|character\s+varying\b${MODS}|(?:national\s+)?(?:character|char)\b${MODS}|double\s+precision|bit\s+varying\b${MODS}|[a-z_][a-z0-9_]*${MODS})`,
  'i',
);

/**
 * Statements `columnTypeSpan` has parsed, by text: each type-preference rule asks for the columns of
 * the same statements. Emptied once it holds `TREES_KEPT`, so a long run keeps no more than that.
 */
const trees = new Map<string, ReturnType<typeof parseSync> | null>();
const TREES_KEPT = 256;

/** `sql` parsed alone (the tree is shared: read it, never change it), or null when it does not parse alone. */
function statementTree(sql: string): ReturnType<typeof parseSync> | null {
  const kept = trees.get(sql);
  if (kept !== undefined) return kept;
  let tree: ReturnType<typeof parseSync> | null;
  try {
    tree = parseSync(sql);
  } catch (e) {
    // The statement parsed as part of its file; alone it may not (a placeholder): then there is no in-place edit.
    if (!(e instanceof Error)) throw e;
    tree = null;
  }
  if (trees.size >= TREES_KEPT) trees.clear();
  trees.set(sql, tree);
  return tree;
}

/** The UTF-8 `location` of the type of the first column definition named `column` in `node` (in key order), or undefined. */
function typeLocation(node: unknown, column: string): number | undefined {
  let loc: number | undefined;
  const visit = (n: unknown): void => {
    if (loc !== undefined || !n || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(visit);
    const o = n as Record<string, unknown>;
    const def = o.ColumnDef as { colname?: string; typeName?: { location?: number } } | undefined;
    if (def && def.colname === column && def.typeName?.location !== undefined) {
      loc = def.typeName.location;
      return;
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(node);
  return loc;
}

/**
 * Where the type of column `column` is written in `sql` (one statement's SQL, as
 * `Statement.sql`): UTF-16 offsets `[start, end)` of the type's words and modifiers,
 * without array bounds (`varchar(20)` of `tags varchar(20)[]`). Null when the
 * statement does not define that column, or its type is spelled in a form this does
 * not read (quoted, schema-qualified). With `node` the statement's node as `parseSql`
 * returned it for `sql` (src/sql/parse.ts `locationOffset`), its locations are read;
 * otherwise `sql` is parsed again (once for all the rules' findings on it). Call it only
 * for a finding that fires. Needs `initSqlParser()` to have run; never throws.
 */
export function columnTypeSpan(sql: string, column: string, node?: Node): { start: number; end: number } | null {
  const offset = node ? locationOffset(node, sql) : null;
  let loc: number | undefined;
  if (offset !== null) {
    const at = typeLocation(node, column);
    loc = at === undefined ? undefined : at - offset;
  } else {
    const tree = statementTree(sql);
    if (!tree) return null;
    loc = typeLocation(tree.stmts?.[0]?.stmt, column);
  }
  if (loc === undefined) return null;
  const start = Buffer.from(sql, 'utf8').subarray(0, loc).toString('utf8').length;
  const m = TYPE_TEXT.exec(sql.slice(start));
  return m ? { start, end: start + m[0].length } : null;
}

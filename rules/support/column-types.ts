/**
 * Shared by the type-preference rules (prefer-jsonb, ban-char-field,
 * prefer-text-field, prefer-timestamptz, prefer-bigint-over-int,
 * prefer-bigint-over-smallint, prefer-identity): each column a `CREATE TABLE`
 * defines or an `ADD COLUMN` adds (src/sql/column-defs.ts) whose type the rule
 * dislikes becomes a finding, with an unsafe fix that rewrites the type in place
 * where the statement's SQL maps to the file, and otherwise (a builder call, an
 * interpolated template) a display-only fix naming the equivalent.
 */
import { flatMapped } from '../../src/core/collect.js';
import { FileMemo } from '../../src/core/file-memo.js';
import type { Diagnostic, Fix } from '../../src/core/diagnostic.js';
import type { MigrationUnit, Statement } from '../../src/core/unit.js';
import { columnTypeSpan, definedColumns, type DefinedColumn } from '../../src/sql/column-defs.js';
import { quoteName } from '../../src/sql/describe.js';
import type { TypeFact } from '../../src/sql/facts.js';
import { sqlName } from '../../src/sql/names.js';

/** Whether a type is the built-in `name` (written bare or `pg_catalog.`-qualified, as the parser spells SQL keyword types). */
export function builtin(t: TypeFact | null, ...names: string[]): t is TypeFact {
  return t !== null && (t.schema === null || t.schema === 'pg_catalog') && names.includes(t.name);
}

export interface TypePreference {
  ruleId: string;
  /** Whether the column is reported. */
  matches(d: DefinedColumn, s: Statement): boolean;
  message(d: DefinedColumn, table: string): string;
  note(d: DefinedColumn): string;
  help(d: DefinedColumn): string;
  /** The type to write instead of the matched type text (`timestamptz(3)`), or why there is no in-place rewrite. */
  replacement(d: DefinedColumn, s: Statement, written: string): string | { why: string };
  /** The fix's title (what it writes and why it is unsafe). */
  fixTitle(d: DefinedColumn, replacement: string): string;
  /** For a statement that cannot be edited in place: the column as it should be declared, in SQL. */
  equivalent(d: DefinedColumn, s: Statement): string;
}

/** The fix for one finding: the type rewritten in place, or display-only advice. */
function fixFor(p: TypePreference, d: DefinedColumn, s: Statement, unit: MigrationUnit): Fix {
  const display = (why: string): Fix => ({ title: `Declare it as ${p.equivalent(d, s)} (${why})`, applicability: 'display-only', edits: [] });
  if (!s.sqlToFile || s.interpolated) return display(s.origin === 'builder' ? (unit.idioms?.builderTypeChange ?? 'the builder call is not rewritten: change the column method or type it names') : 'the SQL cannot be edited in place');
  const span = columnTypeSpan(s.sql, d.column.name, s.node);
  if (!span) return display('the type is spelled in a form miglint does not rewrite');
  const start = s.sqlToFile(span.start);
  const end = s.sqlToFile(span.end);
  const written = s.sql.slice(span.start, span.end);
  const text = p.replacement(d, s, written);
  // The type must map to one unbroken range of the file (no escapes inside it).
  if (start === null || end === null || end - start !== span.end - span.start) return display('the SQL cannot be edited in place');
  if (typeof text !== 'string') return display(text.why);
  return { title: p.fixTitle(d, text), applicability: 'unsafe', edits: [{ start, end, text }] };
}

/**
 * The columns a statement's node defines, read once per node for all seven type-preference rules
 * (a node's columns depend on the node alone), during the file's lint (see `FileMemo`).
 */
const columnsByNode = new FileMemo<object, readonly DefinedColumn[]>();
function columnsOf(node: Statement['node']): readonly DefinedColumn[] {
  let columns = columnsByNode.get(node);
  if (!columns) columnsByNode.set(node, (columns = definedColumns(node)));
  return columns;
}

/** Each unit's defined columns with their statements, in order, walked once for the seven rules. */
const unitColumns = new FileMemo<MigrationUnit, readonly { s: Statement; d: DefinedColumn }[]>();
function columnsOfUnit(unit: MigrationUnit): readonly { s: Statement; d: DefinedColumn }[] {
  let out = unitColumns.get(unit);
  if (!out) unitColumns.set(unit, (out = flatMapped(unit.statements, (s) => columnsOf(s.node).map((d) => ({ s, d })))));
  return out;
}

/** The findings of a type-preference rule on a unit. */
export function checkTypePreference(unit: MigrationUnit, p: TypePreference): Diagnostic[] {
  return flatMapped(columnsOfUnit(unit), ({ s, d }) => {
    if (!p.matches(d, s)) return [];
    const table = d.table ? quoteName(sqlName(d.table)) : 'the table';
    return [{ ruleId: p.ruleId, message: p.message(d, table), note: p.note(d), help: p.help(d), span: s.span, fix: fixFor(p, d, s, unit) }];
  });
}

/** Why a column counts as a key column, for notes (see src/sql/column-defs.ts). */
export function keyNote(d: DefinedColumn): string {
  switch (d.key) {
    case 'primary-key':
      return 'It is part of the PRIMARY KEY.';
    case 'identity':
      return 'It is an identity column: its values come from a sequence.';
    case 'serial':
      return 'It is a serial column: its values come from a sequence.';
    case 'foreign-key':
      return 'It is a FOREIGN KEY column: it holds another table\'s key values.';
    default:
      return '';
  }
}

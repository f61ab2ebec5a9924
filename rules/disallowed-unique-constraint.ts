import { flatMapped } from '../src/core/collect.js';
import type { Fix } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Statement } from '../src/core/unit.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim, factsOf, type ConstraintFact, type LockFact } from '../src/sql/facts.js';
import { sqlIdent } from '../src/sql/names.js';
import { leaveTransaction } from '../src/fix/index-fixes.js';
import { existingTableAlters } from './support/existing.js';

const ID = 'disallowed-unique-constraint';
/** PostgreSQL's NAMEDATALEN - 1: longer names are truncated (sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS). */
const MAX_NAME_BYTES = 63;

/** The constraint's name, or the one PostgreSQL would choose (`<table>_<columns>_key`) when that is not truncated. */
function constraintName(k: ConstraintFact, table: string): string | null {
  if (k.name) return k.name;
  const name = `${table}_${k.columns.join('_')}_key`;
  return Buffer.byteLength(name, 'utf8') <= MAX_NAME_BYTES ? name : null;
}

/**
 * The unsafe fix for a `.sql` file: the statement becomes `CREATE UNIQUE INDEX CONCURRENTLY`
 * plus `ADD CONSTRAINT ... UNIQUE USING INDEX`, with the migration taken out of its
 * transaction the way the index fixes do; display-only where that cannot be done here.
 */
function usingIndexFix(unit: MigrationUnit, s: Statement, k: ConstraintFact, lock: LockFact): Fix {
  const f = factsOf(s);
  const table = lock.target?.name ?? lock.relation;
  const name = constraintName(k, table);
  const cols = k.columns.map(sqlIdent).join(', ');
  const byHand = (why: string, sql?: string): Fix => ({ title: `Build the unique index concurrently, then ADD CONSTRAINT ... UNIQUE USING INDEX (by hand: ${why})${sql ? `: \`${sql.replace(/\s+/g, ' ')}\`` : ''}`, applicability: 'display-only', edits: [] });
  if (!name || k.columns.length === 0) return byHand('the constraint has no name PostgreSQL would not truncate, or no plain column list');
  const idx = sqlIdent(name);
  // The index goes into its table's schema; the DROP of an INVALID leftover of a failed build names it there.
  const qualified = /^(?:"(?:[^"]|"")*"|[^".]+)\./.exec(lock.relation)?.[0] ?? '';
  const sql = `DROP INDEX CONCURRENTLY IF EXISTS ${qualified}${idx};\nCREATE UNIQUE INDEX CONCURRENTLY ${idx} ON ${lock.relation} (${cols});\nALTER TABLE ${lock.relation} ADD CONSTRAINT ${idx} UNIQUE USING INDEX ${idx}`;
  if (k.indexOptions.length) return byHand(`${k.indexOptions.join(', ')} must be carried over to the index or the constraint`, sql);
  if (unit.language !== 'sql' || s.origin !== 'sql-file' || s.interpolated || !s.sqlToFile || f.alter.length !== 1) return byHand('only a one-subcommand ALTER TABLE in a .sql file is rewritten in place', sql);
  if (unit.wrapped.oneQueryString) return byHand(`${unit.wrapped.oneQueryString}, so the index build would run in a transaction block: put it in a migration file of its own`, sql);
  const start = s.sqlToFile(0);
  const end = s.sqlToFile(s.sql.replace(/[\s;]+$/, '').length);
  if (start === null || end === null) return byHand('the statement cannot be edited in place', sql);
  const tx = leaveTransaction(unit, s, sql);
  if (tx.applicability === 'display-only') return { title: `Build the unique index concurrently, then ADD CONSTRAINT ... UNIQUE USING INDEX${tx.note}`, applicability: 'display-only', edits: [] };
  return {
    title: `Build the unique index concurrently, then ADD CONSTRAINT ... UNIQUE USING INDEX${tx.note}`,
    applicability: 'unsafe',
    edits: [{ start, end, text: sql }, ...tx.edits],
  };
}

/**
 * `ALTER TABLE ... ADD CONSTRAINT ... UNIQUE` (or `ADD COLUMN ... UNIQUE`) without `USING
 * INDEX` on a table the migration did not create: the unique index is built while the
 * statement holds ACCESS EXCLUSIVE (sql-altertable.html), so reads and writes stop for the build.
 */
export default defineRule({
  meta: {
    id: ID,
    description: 'ADD CONSTRAINT ... UNIQUE on an existing table must use an index built CONCURRENTLY (USING INDEX).',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      const help = 'Build the index first with CREATE UNIQUE INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE: reads and writes go on; outside a transaction block), then ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX name, which only takes a brief ACCESS EXCLUSIVE lock.';
      const note = `${lockSentence(lock)}, held while the unique index is built over every row: on a large table that is a long outage.`;
      if (sub.kind === 'add-constraint' && sub.constraint.kind === 'unique' && !sub.constraint.usingIndex) {
        const k = sub.constraint;
        return [{ ruleId: ID, message: `ADD CONSTRAINT${k.name ? ` ${quoteName(k.name)}` : ''} UNIQUE on existing table ${quoteName(lock.relation)} without USING INDEX.`, note, help, span: s.span, lock: claim(lock, f.effects), fix: usingIndexFix(unit, s, k, lock) }];
      }
      if (sub.kind === 'add-column' && sub.column.unique) {
        return [{ ruleId: ID, message: `ADD COLUMN ${quoteName(sub.column.name)} UNIQUE on existing table ${quoteName(lock.relation)}.`, note, help: `Add the column without UNIQUE, then build the index and attach it: ${help}`, span: s.span, lock: claim(lock, f.effects) }];
      }
      return [];
    });
  },
});

import { flatMapped } from '../src/core/collect.js';
import type { Fix } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { sqlIdent } from '../src/sql/names.js';
import { columnAddedInUnit, existingTableAlters, subcommandEffect } from './support/existing.js';

/**
 * The display-only recipe that sets NOT NULL without a long lock on PostgreSQL `v`:
 * 18+ a NOT NULL constraint NOT VALID then VALIDATE (SHARE UPDATE EXCLUSIVE);
 * 12-17 a CHECK (col IS NOT NULL) NOT VALID, VALIDATE, then SET NOT NULL, which the
 * valid check spares the scan, then drop the check (sql-altertable.html, SET NOT NULL).
 */
function recipe(table: string, column: string, v: number): Fix {
  const name = sqlIdent(`${table.replace(/^.*\./, '').replace(/"/g, '')}_${column}_not_null`.slice(0, 63));
  const col = sqlIdent(column);
  const steps =
    v >= 18
      ? [`ALTER TABLE ${table} ADD CONSTRAINT ${name} NOT NULL ${col} NOT VALID;`, `-- in a later transaction:`, `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`]
      : [
          `ALTER TABLE ${table} ADD CONSTRAINT ${name} CHECK (${col} IS NOT NULL) NOT VALID;`,
          `-- in a later transaction:`,
          `ALTER TABLE ${table} VALIDATE CONSTRAINT ${name};`,
          `ALTER TABLE ${table} ALTER COLUMN ${col} SET NOT NULL;`,
          `ALTER TABLE ${table} DROP CONSTRAINT ${name};`,
        ];
  return { title: `On PostgreSQL ${v}, set it without a long lock:\n${steps.join('\n')}`, applicability: 'display-only', edits: [] };
}

/**
 * `ALTER COLUMN ... SET NOT NULL` (or, 18+, `ADD CONSTRAINT ... NOT NULL` without
 * NOT VALID) on a column of an existing table the migration did not add: PostgreSQL
 * scans every row under ACCESS EXCLUSIVE, unless (12+) a validated
 * `CHECK (col IS NOT NULL)` proves it (the statement facts' effects say whether it scans).
 */
export default defineRule({
  meta: {
    id: 'adding-not-nullable-field',
    description: 'SET NOT NULL on an existing column scans the table under ACCESS EXCLUSIVE.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub, index: i }) => {
      const column = sub.kind === 'set-not-null' ? sub.column : sub.kind === 'add-constraint' && sub.constraint.kind === 'not-null' && !sub.constraint.notValid ? sub.constraint.columns[0] : undefined;
      if (column === undefined || columnAddedInUnit(f, column)) return [];
      const scan = subcommandEffect(f, i, 'scan');
      if (!scan) return [];
      const before = f.table !== null ? f.columnBefore(f.table, column) : null;
      const since = before?.notNull === false && before.notNullFrom ? ` (it is nullable since the earlier migration ${before.notNullFrom})` : '';
      const how = f.pgVersion >= 18 ? 'ADD CONSTRAINT ... NOT NULL col NOT VALID, then VALIDATE CONSTRAINT in a later transaction (SHARE UPDATE EXCLUSIVE: reads and writes go on)' : f.pgVersion >= 12 ? 'ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later transaction, then SET NOT NULL (the valid CHECK spares the scan) and drop the CHECK' : 'before PostgreSQL 12 no form avoids the scan: keep a validated CHECK (col IS NOT NULL) NOT VALID constraint instead of NOT NULL, or run it in a maintenance window';
      return [
        {
          ruleId: 'adding-not-nullable-field',
          message: `${sub.kind === 'set-not-null' ? 'SET NOT NULL' : 'ADD CONSTRAINT ... NOT NULL'} on column ${quoteName(column)}${since} of existing table ${quoteName(lock.relation)}.`,
          note: `${lockSentence(lock)}, held on PostgreSQL ${f.pgVersion} while every row is checked for NULLs${f.pgVersion < 12 && /CHECK/.test(scan.reason) ? ' (a valid CHECK (col IS NOT NULL) spares that scan only from PostgreSQL 12)' : ''}: on a large table that is a long outage.`,
          help: `On PostgreSQL ${f.pgVersion}: ${how}.`,
          span: s.span,
          lock: claim(lock, f.effects),
          ...(f.pgVersion >= 12 ? { fix: recipe(lock.relation, column, f.pgVersion) } : {}),
        },
      ];
    });
  },
});

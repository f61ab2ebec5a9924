import { flatMapped } from '../src/core/collect.js';
import type { Fix } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Statement } from '../src/core/unit.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim, factsOf, type ConstraintFact, type StatementFacts } from '../src/sql/facts.js';
import { sqlIdent } from '../src/sql/names.js';
import { existingTableAlters } from './support/existing.js';

/**
 * The fix (unsafe: existing rows stay unchecked until the VALIDATE runs): ` NOT VALID`
 * after the constraint, and the `VALIDATE CONSTRAINT` where it gets a transaction of
 * its own: right after the statement in autocommit; after the `COMMIT` that ends the
 * file's own `BEGIN ... COMMIT` block; elsewhere (the runner's or framework's one
 * transaction) the title shows the VALIDATE for the following migration. Only for a
 * one-subcommand `ALTER TABLE` whose text maps to the file.
 */
function notValidFix(unit: MigrationUnit, s: Statement, f: StatementFacts, k: ConstraintFact): Fix | undefined {
  if (!s.sqlToFile || s.interpolated || f.alter.length !== 1) return undefined;
  const end = s.sql.replace(/[\s;]+$/, '').length;
  const at = s.sqlToFile(end);
  if (at === null) return undefined;
  const table = f.locks.find((l) => l.key === f.table)?.relation;
  const notValid = { start: at, end: at, text: ' NOT VALID' };
  if (!k.name || !table) {
    return { title: 'Add NOT VALID (then VALIDATE CONSTRAINT in a later transaction, by the name PostgreSQL chose: existing rows stay unchecked until it runs)', applicability: 'unsafe', edits: [notValid] };
  }
  const validate = `ALTER TABLE ${table} VALIDATE CONSTRAINT ${sqlIdent(k.name)}`;
  if (f.transaction.owner === 'none') {
    return { title: 'Add NOT VALID, then VALIDATE CONSTRAINT in its own transaction', applicability: 'unsafe', edits: [{ start: at, end: at, text: ` NOT VALID;\n${validate}` }] };
  }
  const commit = f.transaction.owner === 'explicit' && unit.language === 'sql' ? commitEnding(unit, s) : undefined;
  if (commit) {
    const semi = /^\s*;/.exec(unit.source.text.slice(commit.span.end));
    const after = commit.span.end + (semi ? semi[0].length : 0);
    return { title: 'Add NOT VALID, then VALIDATE CONSTRAINT after the COMMIT, in a transaction of its own', applicability: 'unsafe', edits: [notValid, { start: after, end: after, text: `${unit.source.eol}${validate};` }] };
  }
  return { title: `Add NOT VALID, then run \`${validate};\` in the following migration (existing rows stay unchecked until it runs)`, applicability: 'unsafe', edits: [notValid] };
}

/**
 * On a builder call whose builder has a NOT VALID option (node-pg-migrate's `notValid`):
 * set it (unsafe, as above); the VALIDATE goes in the following migration.
 */
function builderNotValidFix(unit: MigrationUnit, s: Statement, f: StatementFacts, k: ConstraintFact): Fix | undefined {
  if (s.origin !== 'builder' || s.interpolated || !k.name) return undefined;
  const edits = unit.edits.setBuilderOptions?.(s, { notValid: true });
  const table = f.locks.find((l) => l.key === f.table)?.relation;
  if (!edits || !table) return undefined;
  const validate = `ALTER TABLE ${table} VALIDATE CONSTRAINT ${sqlIdent(k.name)}`;
  return { title: `Add NOT VALID (the builder's \`notValid\` option), then run \`${validate};\` in the following migration (existing rows stay unchecked until it runs)`, applicability: 'unsafe', edits };
}

/** The COMMIT that ends the explicit transaction block `s` runs in, if the file has one. */
function commitEnding(unit: MigrationUnit, s: Statement): Statement | undefined {
  const f = factsOf(s);
  const i = unit.statements.indexOf(s);
  return unit.statements.slice(i + 1).find((o) => o.phase === s.phase && factsOf(o).connection === f.connection && factsOf(o).kind.transactionControl === 'commit');
}

export default defineRule({
  meta: {
    id: 'constraint-missing-not-valid',
    description: 'ADD CONSTRAINT ... CHECK / FOREIGN KEY on an existing table must be NOT VALID, and validated in a later transaction.',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind === 'add-constraint') {
        const k = sub.constraint;
        if ((k.kind !== 'check' && k.kind !== 'foreign-key') || k.notValid) return [];
        const what = k.kind === 'check' ? 'CHECK' : 'FOREIGN KEY';
        const other = k.kind === 'foreign-key' ? f.locks.find((l) => l !== lock && l.operation.startsWith('ADD FOREIGN KEY')) : undefined;
        const fix = notValidFix(unit, s, f, k) ?? builderNotValidFix(unit, s, f, k);
        return [
          {
            ruleId: 'constraint-missing-not-valid',
            message: `ADD CONSTRAINT${k.name ? ` ${quoteName(k.name)}` : ''} ${what} on existing table ${quoteName(lock.relation)} without NOT VALID.`,
            note: `${lockSentence(lock)}${other ? `, and a ${other.mode} lock on ${quoteName(other.relation)}` : ''}, held while every existing row is checked: on a large table that is a long outage.`,
            help: `Add it with NOT VALID (only new rows are checked; brief lock), then run ALTER TABLE ... VALIDATE CONSTRAINT in a later transaction: it takes SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes.`,
            span: s.span,
            lock: claim(lock, f.effects),
            ...(fix ? { fix } : {}),
          },
        ];
      }
      if (sub.kind === 'validate-constraint') {
        const added = f.schema.constraint(f.table!, sub.name);
        if (!added || added.validated || added.transaction === null || added.transaction !== f.transaction.id) return [];
        return [
          {
            ruleId: 'constraint-missing-not-valid',
            message: `VALIDATE CONSTRAINT ${quoteName(sub.name)} runs in the same transaction that added it NOT VALID.`,
            note: `The ADD CONSTRAINT earlier in this transaction holds its ${added.kind === 'foreign-key' ? 'SHARE ROW EXCLUSIVE lock (on both tables)' : 'ACCESS EXCLUSIVE lock'} on ${quoteName(lock.relation)} until the transaction commits, so the validation scan runs under it: NOT VALID gains nothing.`,
            help: 'Commit between them: validate in a later migration (or after a COMMIT where the runner allows it).',
            span: s.span,
            lock: claim(lock, f.effects),
          },
        ];
      }
      return [];
    });
  },
});

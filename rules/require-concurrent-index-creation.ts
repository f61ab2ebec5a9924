import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { relationName } from '../src/sql/locks.js';
import { fromRangeVar, isCreatedTable, namesakes, resolvedKey } from '../src/sql/names.js';
import { concurrentIndexFix } from '../src/fix/index-fixes.js';

export default defineRule({
  meta: {
    id: 'require-concurrent-index-creation',
    description: 'CREATE INDEX on an existing table must use CONCURRENTLY.',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    return flatMapped(unit.statements, (s) => {
      if (!('IndexStmt' in s.node) || s.node.IndexStmt.concurrent) return [];
      const table = relationName(s.node.IndexStmt.relation);
      // Schema-qualified and case-correct: an unqualified name resolves through the search_path in force.
      const name = fromRangeVar(s.node.IndexStmt.relation);
      if (isCreatedTable(name, s.context)) return [];
      const others = name ? namesakes(name, s.context) : [];
      // SHARE on the table (sql-createindex.html; explicit-locking.html#LOCKING-TABLES: SHARE is acquired by CREATE INDEX without CONCURRENTLY).
      const f = factsOf(s);
      const lock = f.locks.find((l) => l.relationKind === 'table' && l.key !== null);
      const other = name && others.length ? ` This migration created ${others.join(', ')}, which ${others.length > 1 ? 'are other tables' : 'is another table'}: ${quoteName(table)} here is ${resolvedKey(name, s.context)}.` : '';
      return [
        {
          ruleId: 'require-concurrent-index-creation',
          message: `CREATE INDEX on existing table ${quoteName(table)} without CONCURRENTLY.`,
          note: `CREATE INDEX takes a SHARE lock on ${quoteName(table)} for the whole build, which blocks writes (INSERT, UPDATE, DELETE); on a large table that is minutes of failed or queued writes.${other}`,
          help: 'Use CREATE INDEX CONCURRENTLY (it takes SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes) outside a transaction block, after DROP INDEX CONCURRENTLY IF EXISTS of its name (a failed concurrent build leaves an INVALID index behind).',
          span: s.span,
          ...(lock ? { lock: claim(lock, f.effects) } : {}),
          ...concurrentIndexFix(unit, s, context.settings),
        },
      ];
    });
  },
});

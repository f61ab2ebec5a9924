import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { dropObjectNames } from '../src/sql/locks.js';
import { concurrentIndexFix } from '../src/fix/index-fixes.js';

export default defineRule({
  meta: {
    id: 'require-concurrent-index-deletion',
    description: 'DROP INDEX must use CONCURRENTLY.',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'ts'],
  },
  check(unit, context) {
    return unit.statements.flatMap((s) => {
      if (!('DropStmt' in s.node)) return [];
      const d = s.node.DropStmt;
      if (d.removeType !== 'OBJECT_INDEX' || d.concurrent) return [];
      const names = dropObjectNames(d.objects).map(quoteName).join(', ');
      return [
        {
          ruleId: 'require-concurrent-index-deletion',
          message: `DROP INDEX ${names} without CONCURRENTLY.`,
          note: 'DROP INDEX takes an ACCESS EXCLUSIVE lock on the index\'s table, which blocks all reads and writes, and queues behind any running query on it.',
          help: 'Use DROP INDEX CONCURRENTLY IF EXISTS (SHARE UPDATE EXCLUSIVE: blocks neither reads nor writes), outside a transaction block.',
          span: s.span,
          ...concurrentIndexFix(unit, s, context.settings),
        },
      ];
    });
  },
});

import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { factsOf } from '../src/sql/facts.js';

/** `DROP DATABASE` in a migration: every object and row of that database is gone (sql-dropdatabase.html). */
export default defineRule({
  meta: {
    id: 'ban-drop-database',
    description: 'DROP DATABASE does not belong in a migration.',
    fixable: 'none',
    recommended: true,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      if (factsOf(s).kind.tag !== 'DROP DATABASE') return [];
      return [
        {
          ruleId: 'ban-drop-database',
          message: 'DROP DATABASE in a migration.',
          note: 'It removes the whole database, every schema, table and row in it, and cannot be undone; it cannot run inside a transaction block (active_sql_transaction, 25001), and fails while anyone is connected to it (object_in_use, 55006) unless WITH (FORCE) terminates them.',
          help: 'Drop databases by hand or in provisioning scripts, not in schema migrations that run on every environment.',
          span: s.span,
        },
      ];
    });
  },
});

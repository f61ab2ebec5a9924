import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { refreshFact } from '../src/sql/maintenance.js';

/**
 * `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY` on a view the migration did not
 * create (sql-refreshmaterializedview.html): ACCESS EXCLUSIVE on the view for the whole
 * query, so every read of it waits. `CONCURRENTLY` takes EXCLUSIVE (reads go on) and
 * needs a unique index on the view; `WITH NO DATA` cannot be concurrent and is not reported.
 */
export default defineRule({
  meta: {
    id: 'require-concurrent-refresh-materialized-view',
    description: 'REFRESH MATERIALIZED VIEW of an existing view must use CONCURRENTLY.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const r = refreshFact(s.node);
      if (!r || r.concurrently || r.noData) return [];
      const f = factsOf(s);
      const lock = f.locks[0];
      if (!lock || !lock.existing) return [];
      return [
        {
          ruleId: 'require-concurrent-refresh-materialized-view',
          message: `REFRESH MATERIALIZED VIEW ${quoteName(lock.relation)} without CONCURRENTLY.`,
          note: `${lockSentence(lock)}, for as long as the view's query runs: every read of the view waits.`,
          help: 'Use REFRESH MATERIALIZED VIEW CONCURRENTLY: it takes an EXCLUSIVE lock, which lets reads go on. It needs a unique index on the view (CREATE UNIQUE INDEX CONCURRENTLY on columns that identify a row, with no WHERE clause) and a view that is already populated.',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});

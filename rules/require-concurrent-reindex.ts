import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { reindexFact } from '../src/sql/maintenance.js';
import { sqlName } from '../src/sql/names.js';
import { keywordOutsideTransactionFix } from '../src/fix/index-fixes.js';

/**
 * `REINDEX` without `CONCURRENTLY` (sql-reindex.html): REINDEX INDEX takes ACCESS
 * EXCLUSIVE on the index (queries that would use it wait) and SHARE on its table
 * (writes wait); REINDEX TABLE takes SHARE on the table and ACCESS EXCLUSIVE on each
 * index. `CONCURRENTLY` (12+) takes SHARE UPDATE EXCLUSIVE instead, outside a
 * transaction block. Quiet on an index or table the migration created (no readers yet).
 */
export default defineRule({
  meta: {
    id: 'require-concurrent-reindex',
    description: 'REINDEX of an existing index or table must use CONCURRENTLY (PostgreSQL 12+).',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    return flatMapped(unit.statements, (s) => {
      const r = reindexFact(s.node, s.sql);
      if (!r || r.concurrently) return [];
      const f = factsOf(s);
      const lock = f.locks[0];
      if (lock && (!lock.existing || (lock.key !== null && f.schema.index(lock.key)))) return [];
      const what = r.relation ? `${r.target.toUpperCase()} ${quoteName(sqlName(r.relation))}` : r.target === 'system' ? 'SYSTEM' : `${r.target.toUpperCase()}${r.name ? ` ${quoteName(r.name)}` : ''}`;
      const note =
        r.target === 'index'
          ? `REINDEX INDEX takes an ACCESS EXCLUSIVE lock on ${quoteName(lock?.relation ?? '?')}, so every query whose plan would use the index waits, and a SHARE lock on its table, which blocks writes (INSERT, UPDATE, DELETE), for the whole rebuild.`
          : r.target === 'table'
            ? `REINDEX TABLE takes a SHARE lock on ${quoteName(lock?.relation ?? '?')}, which blocks writes (INSERT, UPDATE, DELETE), and an ACCESS EXCLUSIVE lock on each of its indexes, so queries that would use them wait: in practice reads and writes stop for the whole rebuild.`
            : `REINDEX ${r.target.toUpperCase()} rebuilds every index of the ${r.target}, table by table, each under a SHARE lock on the table and ACCESS EXCLUSIVE on its indexes, which blocks writes and the reads that would use them.`;
      // REINDEX INDEX writes the index anew (its relfilenode changes); REINDEX TABLE leaves the table's storage alone.
      const claimed = lock ? { lock: r.target === 'index' ? { ...claim(lock, f.effects), rewrites: true } : claim(lock, f.effects) } : {};
      const base = { ruleId: 'require-concurrent-reindex', span: s.span, note, ...claimed };
      if (f.pgVersion < 12) {
        return [
          {
            ...base,
            message: `REINDEX ${what} without CONCURRENTLY, and PostgreSQL ${f.pgVersion} has no REINDEX CONCURRENTLY (it came in 12).`,
            help: 'On this version build a replacement instead: CREATE INDEX CONCURRENTLY a new index with the same definition, DROP INDEX CONCURRENTLY the old one, then rename the new one (ALTER INDEX ... RENAME TO takes ACCESS EXCLUSIVE on it briefly before 12); or upgrade and use REINDEX ... CONCURRENTLY.',
          },
        ];
      }
      if (r.target === 'system') {
        return [{ ...base, message: 'REINDEX SYSTEM rebuilds the system catalogs\' indexes, which has no concurrent form.', help: 'Do not reindex the system catalogs in a migration: run it in a maintenance window.' }];
      }
      const fix = r.concurrentlyAt === null ? undefined : keywordOutsideTransactionFix(unit, s, { at: r.concurrentlyAt, text: ' CONCURRENTLY' }, `Use REINDEX ${r.target.toUpperCase()} CONCURRENTLY`, context.settings).fix;
      return [
        {
          ...base,
          message: `REINDEX ${what} without CONCURRENTLY.`,
          help: 'Use REINDEX ... CONCURRENTLY (12+): it takes SHARE UPDATE EXCLUSIVE, which blocks neither reads nor writes, and must run outside a transaction block. A failed concurrent rebuild leaves an invalid index named *_ccnew to drop.',
          ...(fix ? { fix } : {}),
        },
      ];
    });
  },
});

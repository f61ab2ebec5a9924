/**
 * Which table an index is on, as the migration says, and when a DROP INDEX goes
 * with its table (require-concurrent-index-deletion stays quiet only then).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { droppedIndexKey, indexCreations, tableOfIndex } from '../src/sql/index-tables.js';
import { dropObjectRelations } from '../src/sql/locks.js';
import { loadUnit } from '../src/sources/index.js';
import { config, lint } from './support/lint.js';

const RULE = 'require-concurrent-index-deletion';
const findings = (file: string, text: string, cfg = {}) => lint(file, text, { rules: [RULE], config: cfg }).map((f) => `${f.line} ${f.message}`);

/** The table each DROP INDEX of `sql` drops an index of, or null. */
function tables(sql: string): (string | null)[] {
  const unit = loadUnit('m.sql', sql, config({ sqlRunner: 'dbmate' }).settings);
  const creations = indexCreations(unit);
  return unit.statements.flatMap((s) =>
    'DropStmt' in s.node && s.node.DropStmt.removeType === 'OBJECT_INDEX' ? dropObjectRelations(s.node.DropStmt.objects).map((n) => tableOfIndex(droppedIndexKey(n, s, creations), s, creations)) : [],
  );
}

describe('the table of a dropped index', () => {
  test('from a named CREATE INDEX in either direction, resolved in the table\'s schema', () => {
    assert.deepEqual(tables('-- migrate:up\nCREATE INDEX i ON audit.t (a);\n-- migrate:down\nDROP INDEX audit.i;\nDROP INDEX i;\n'), ['audit.t', null]);
    assert.deepEqual(tables('SET search_path = audit;\nCREATE INDEX i ON t (a);\nRESET search_path;\nDROP INDEX audit.i;\n'), ['audit.t']);
  });
  test('the latest CREATE before it in the same direction wins; otherwise the name must mean one table', () => {
    assert.deepEqual(tables('CREATE INDEX i ON a (x);\nDROP INDEX i;\nCREATE INDEX i ON b (x);\nDROP INDEX i;\n'), ['public.a', 'public.b']);
    assert.deepEqual(tables('-- migrate:up\nDROP INDEX i;\n-- migrate:down\nCREATE INDEX i ON a (x);\nCREATE INDEX i ON b (x);\n'), [null]);
    assert.deepEqual(tables('CREATE INDEX ON a (x);\nDROP INDEX a_x_idx;\n'), [null], 'an unnamed index: only the server knows its name');
  });
  test('an index on a temporary table is in pg_temp, found first', () => {
    assert.deepEqual(tables('CREATE TEMP TABLE s (x int);\nCREATE INDEX i ON s (x);\nDROP INDEX i;\n'), ['pg_temp.s']);
  });
});

describe('require-concurrent-index-deletion and the index\'s table', () => {
  test('only the same direction counts: a table dropped in the other one does not', () => {
    const text = [
      "import type { Knex } from 'knex';",
      'export async function up(knex: Knex) {',
      "  await knex.raw('CREATE INDEX idx_imports_source ON lead_imports (source)');",
      "  await knex.raw('DROP TABLE lead_imports');",
      '}',
      'export async function down(knex: Knex) {',
      "  await knex.raw('DROP INDEX idx_imports_source');",
      '}',
    ].join('\n');
    assert.deepEqual(findings('m.ts', text), ['7 DROP INDEX "idx_imports_source" without CONCURRENTLY.']);
    assert.deepEqual(findings('m.ts', text.replace("DROP INDEX idx_imports_source');", "DROP INDEX idx_imports_source');\n  await knex.raw('DROP TABLE lead_imports');")), []);
  });
  test('a table of the same name in another schema is another table', () => {
    const sql = 'CREATE INDEX CONCURRENTLY idx_leads_source ON leads (source);\nDROP INDEX idx_leads_source;\nDROP TABLE audit.leads;\n';
    assert.deepEqual(findings('m.sql', sql), ['2 DROP INDEX "idx_leads_source" without CONCURRENTLY.']);
    assert.deepEqual(findings('m.sql', sql.replace('audit.leads', 'public.leads')), []);
    assert.deepEqual(findings('m.sql', sql.replace('DROP TABLE audit.leads', 'DROP SCHEMA public CASCADE')), []);
    assert.deepEqual(findings('m.sql', sql.replace('DROP TABLE audit.leads', 'DROP SCHEMA public')), ['2 DROP INDEX "idx_leads_source" without CONCURRENTLY.'], 'without CASCADE the schema is not dropped while it holds the table');
  });
  test('DROP INDEX of several: quiet only when every one goes with its table', () => {
    const sql = 'CREATE INDEX CONCURRENTLY a_i ON a (x);\nDROP INDEX a_i, b_i;\nDROP TABLE a;\n';
    assert.deepEqual(findings('m.sql', sql), ['2 DROP INDEX "a_i", "b_i" without CONCURRENTLY.']);
    assert.deepEqual(findings('m.sql', `CREATE INDEX CONCURRENTLY b_i ON b (x);\n${sql}DROP TABLE b;\n`), []);
  });
});

/**
 * Directions of `.sql` migrations: each runner's convention for down migrations sets
 * `Statement.phase` and `MigrationUnit.phaseRegions`, which the `directions` setting filters by.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MigrationUnit } from '../src/core/unit.js';
import { initSqlParser } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';

await initSqlParser();

const TWO = 'CREATE INDEX i ON t (a);\nDROP INDEX j;\n';

function unit(file: string, text: string): MigrationUnit {
  return loadUnit(file, text, config().settings);
}
const phases = (u: MigrationUnit) => u.statements.map((s) => s.phase);
/** The phase of the region holding each statement's start ('up' outside every region). */
const regionPhases = (u: MigrationUnit) => u.statements.map((s) => u.phaseRegions.find((r) => r.span.start <= s.span.start && s.span.start < r.span.end)?.phase ?? 'up');

describe('a whole file by its name', () => {
  const cases: [string, string, 'up' | 'down'][] = [
    ['golang-migrate', 'db/migrations/000012_add_index.down.sql', 'down'],
    ['golang-migrate', 'db/migrations/000012_add_index.up.sql', 'up'],
    ['sqlx', 'migrations/20240101120000_add_index.down.sql', 'down'],
    ['pop', 'persistence/sql/migrations/20240101000000000000_ids.autocommit.down.sql', 'down'],
    ['pop', 'persistence/sql/migrations/20240101000000000000_ids.postgres.down.sql', 'down'],
    ['diesel', 'migrations/2024-01-01-000000_add_index/down.sql', 'down'],
    ['diesel', 'migrations/2024-01-01-000000_add_index/up.sql', 'up'],
    ['Flyway undo', 'db/migration/U2__add_index.sql', 'down'],
    ['Flyway undo, dotted version', 'db/migration/U2.1__add_index.sql', 'down'],
    ['Flyway versioned', 'db/migration/V2__add_index.sql', 'up'],
    ['Flyway repeatable', 'db/migration/R__views.sql', 'up'],
    ['no convention', 'migrations/0042_down_payment.sql', 'up'],
  ];
  for (const [runner, file, phase] of cases) {
    test(`${runner}: ${file} is ${phase}`, () => {
      const u = unit(file, TWO);
      assert.deepEqual(phases(u), [phase, phase]);
      assert.deepEqual(u.phaseRegions, phase === 'down' ? [{ phase: 'down', span: { start: 0, end: TWO.length } }] : []);
    });
  }
});

describe('sections inside a file', () => {
  test("dbmate's -- migrate:up / -- migrate:down", () => {
    const text = '-- migrate:up\nCREATE INDEX i ON t (a);\n\n-- migrate:down\nDROP INDEX i;\n';
    const u = unit('db/migrations/20240101000000_add_index.sql', text);
    assert.deepEqual(phases(u), ['up', 'down']);
    assert.deepEqual(u.phaseRegions, [
      { phase: 'up', span: { start: 0, end: text.indexOf('-- migrate:down') } },
      { phase: 'down', span: { start: text.indexOf('-- migrate:down'), end: text.length } },
    ]);
  });
  test("goose's -- +goose Up / -- +goose Down, in any case; a DO block's statements are in its direction", () => {
    const text = '-- +goose up\nCREATE INDEX i ON t (a);\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n-- +goose DOWN\nDO $$ BEGIN DROP INDEX i; END $$;\n';
    const u = unit('db/migrations/00042_add_index.sql', text);
    assert.deepEqual(phases(u), ['up', 'up', 'down', 'down']);
    assert.deepEqual(regionPhases(u), phases(u));
    assert.equal(u.phaseRegions[1]!.span.start, text.indexOf('-- +goose DOWN'));
  });
  test('a marker that does not start its line is only a comment', () => {
    const u = unit('m.sql', 'CREATE INDEX i ON t (a); -- migrate:down\nDROP INDEX i; /* -- +goose Down */\n');
    assert.deepEqual(phases(u), ['up', 'up']);
    assert.deepEqual(u.phaseRegions, []);
  });
  test('sections win over the file name', () => {
    const u = unit('x.down.sql', '-- migrate:up\nCREATE INDEX i ON t (a);\n-- migrate:down\nDROP INDEX i;\n');
    assert.deepEqual(phases(u), ['up', 'down']);
  });
  test('text before the first marker is up', () => {
    const text = 'SET lock_timeout = 1;\n-- +goose Down\nDROP INDEX i;\n';
    const u = unit('m.sql', text);
    assert.deepEqual(phases(u), ['up', 'down']);
    assert.deepEqual(u.phaseRegions.map((r) => r.phase), ['up', 'down']);
    assert.deepEqual(regionPhases(u), phases(u));
  });
});

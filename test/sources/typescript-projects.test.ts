/**
 * The TypeScript/JavaScript frontend over the realistic projects in
 * fixtures/projects: every migration is read as its framework, its SQL parses,
 * and the incidents the projects' READMEs describe show up as code facts.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import { fixturesDir } from '../support/paths.js';
import { initSqlParser, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

const PROJECTS: Record<string, string> = {
  knex: 'knex',
  typeorm: 'typeorm',
  'node-pg-migrate': 'node-pg-migrate',
  sequelize: 'sequelize',
  kysely: 'kysely',
  pg: 'pg',
};

function scripts(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...scripts(path));
    else if (/\.(c|m)?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

for (const [project, framework] of Object.entries(PROJECTS)) {
  describe(`fixtures/projects/${project}`, () => {
    const files = scripts(join(fixturesDir, 'projects', project));

    test('has migrations to read', () => {
      assert.ok(files.length >= 3, `${files.length} files`);
    });

    for (const file of files) {
      const name = relative(join(fixturesDir, 'projects', project), file);
      test(`${name}: read as ${framework}, SQL parses, spans lie in the file`, () => {
        const text = readFileSync(file, 'utf8');
        const unit = unitOf(text, file);
        assert.equal(unit.framework, framework);
        assert.deepEqual(unit.syntaxErrors, []);
        assert.ok(unit.statements.some((s) => s.phase === 'up'), 'statements in up');
        for (const s of unit.statements) {
          assert.ok(s.span.start >= 0 && s.span.end <= text.length && s.span.start < s.span.end);
          // A literal's statement is its own text in the file, up to escapes.
          const inFile = text.slice(s.span.start, s.span.end).replace(/(['"`])\s*\+\s*\1/g, '');
          if (s.origin !== 'builder' && !s.interpolated) assert.equal(inFile.replace(/\s+/g, ' '), s.sql.replace(/\s+/g, ' '));
        }
        if (/unique.?run.?lead/i.test(name)) {
          // The incident: a catalog check on a hand-opened session that is never closed on the early-return path.
          assert.ok(unit.sessions.some((x) => x.leak && x.checkQuery), JSON.stringify(unit.sessions));
        } else {
          assert.deepEqual(unit.sessions.filter((x) => x.leak), [], 'no leak outside the unique_run_lead incident');
        }
        if (/business.?calendars/i.test(name)) {
          assert.equal(unit.swallowedCatches.length, 1, 'the catch that logs the failed CREATE TABLEs');
          // knex sends a createTable's foreign key as an ALTER TABLE of its own: one DDL statement more.
          assert.equal(unit.swallowedCatches[0]!.ddl.length, framework === 'knex' ? 4 : 3);
        } else {
          assert.deepEqual(unit.swallowedCatches, []);
        }
      });
    }
  });
}

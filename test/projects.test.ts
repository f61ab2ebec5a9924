/**
 * The example projects end to end: each shows its incidents and exactly the findings
 * of its snapshot (`fixtures/projects/<project>.snap`: rule, file and line of each, so
 * a new false positive fails too), `--fix` on a copy leaves only findings that have no
 * safe fix, and every changed file still parses.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { ConfigLoader } from '../src/config/index.js';
import { discoverFiles } from '../src/lint/discover.js';
import { runFiles, type RunOptions } from '../src/lint/run.js';
import { syntaxProblem } from '../src/lint/verify.js';
import { fixturesDir, repoRoot } from './support/paths.js';
import { matchSnapshot } from './support/snapshot.js';

const PROJECTS = join(fixturesDir, 'projects');
const known = new Set(rules.map((r) => r.meta.id));
const options = (cwd: string, fix: RunOptions['fix'] = 'off'): RunOptions => ({ cwd, rules, only: null, fix, unsafeFixes: false });

/** The incidents of the seeds, rewritten in each stack: which rules each project must show. */
const EXPECTED: Record<string, string[]> = {
  'sql-psql': ['ban-uncommitted-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'require-lock-timeout', 'no-swallowed-ddl-error'],
  typeorm: ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  knex: ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  'node-pg-migrate': ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  sequelize: ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  kysely: ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  pg: ['no-idle-in-transaction', 'require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  'db-migrate': ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  'mikro-orm': ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'require-lock-timeout'],
  'postgres-js': ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  ley: ['ban-concurrent-index-creation-in-transaction', 'require-concurrent-index-creation', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  slonik: ['require-concurrent-index-creation', 'ban-concurrent-index-creation-in-transaction', 'no-swallowed-ddl-error', 'require-lock-timeout'],
  'migrun-sql': [],
  prisma: ['ban-concurrent-index-creation-in-transaction', 'require-concurrent-index-creation', 'require-lock-timeout'],
  drizzle: ['ban-concurrent-index-creation-in-transaction', 'require-concurrent-index-creation', 'require-lock-timeout'],
  'alembic/plain': ['require-concurrent-index-creation', 'require-concurrent-index-deletion', 'require-lock-timeout'],
  'alembic/safe': [],
  django: ['require-concurrent-index-creation', 'require-lock-timeout'],
  'flask-sqlalchemy/incident': ['no-idle-in-transaction', 'no-swallowed-ddl-error', 'require-concurrent-index-creation', 'ban-unbatched-backfill', 'require-lock-timeout'],
  'flask-sqlalchemy/safe': [],
};

describe('example projects', () => {
  for (const [project, expected] of Object.entries(EXPECTED)) {
    test(`${project} shows its incidents, and nothing else is broken`, async () => {
      const dir = join(PROJECTS, project);
      const files = await discoverFiles([dir], dir);
      assert.ok(files.length > 0);
      const r = await runFiles(files, new ConfigLoader(known), options(dir));
      const found = new Set(r.files.flatMap((f) => f.findings.map((x) => x.ruleId)));
      const lines = r.files.flatMap((f) => f.findings.map((x) => `${f.displayPath}:${x.line} ${x.ruleId}`));
      matchSnapshot(lines.map((l) => `${l}\n`).join(''), join(PROJECTS, `${project}.snap`));
      for (const rule of expected) assert.ok(found.has(rule), `${project}: ${rule} was expected`);
      if (expected.length === 0) assert.deepEqual([...found], [], `${project} is written the safe way`);
      assert.ok(!found.has('syntax-error') && !found.has('internal-error'), `${project}: every file parses`);
    });
  }

  test('--fix on a copy leaves only findings without a safe fix, and every file still parses', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-projects-'));
    cpSync(PROJECTS, copy, { recursive: true });
    const files = await discoverFiles([copy], copy);
    const before = await runFiles(files, new ConfigLoader(known), options(copy));
    const fixed = await runFiles(files, new ConfigLoader(known), options(copy, 'write'));
    assert.deepEqual(fixed.fixErrors, []);
    assert.ok(fixed.fixedCount > 0);
    const after = await runFiles(files, new ConfigLoader(known), options(copy));
    for (const f of after.files) {
      for (const x of f.findings) {
        assert.ok(!(x.fix && x.fix.edits.length > 0 && x.fix.applicability === 'safe'), `${relative(copy, f.path)}:${x.line}: ${x.ruleId} still has a safe fix`);
      }
      assert.equal(syntaxProblem(f.path, readFileSync(f.path, 'utf8')), null, `${relative(copy, f.path)} parses after --fix`);
    }
    const count = (r: typeof before) => r.files.reduce((n, f) => n + f.findings.length, 0);
    assert.ok(count(after) < count(before), 'fixes removed findings');
  });

  test('the README\'s first command: miglint fixtures/projects exits 1 with path:line:column', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), 'fixtures/projects'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /--> fixtures\/projects\/sql-psql\/migrations\/0003_add_last_call_direction\.sql:\d+:\d+/);
    assert.match(r.stdout, /error\[no-idle-in-transaction\]/);
    // The seeds' three incidents in their own stack, at their lines and columns.
    const at = (rule: string, file: string, line: number, column: number) =>
      assert.match(r.stdout, new RegExp(`error\\[${rule}\\][^\\n]*\\n\\s*--> fixtures/projects/${file.replace(/\./g, '\\.')}:${line}:${column}\\n`), `${rule} at ${file}:${line}:${column}`);
    at('no-idle-in-transaction', 'flask-sqlalchemy/incident/server/db_migrate.py', 41, 24);
    at('no-swallowed-ddl-error', 'flask-sqlalchemy/incident/server/db_migrate.py', 60, 5);
    at('require-concurrent-index-creation', 'flask-sqlalchemy/incident/server/db_migrate.py', 31, 26);
    at('require-concurrent-index-creation', 'alembic/plain/versions/0036_last_call_direction.py', 15, 5);
    assert.doesNotMatch(r.stdout, /--> fixtures\/projects\/(flask-sqlalchemy\/safe|alembic\/safe)\//, 'nothing in the safe versions');
  });

  test('--fix-dry-run shows a diff for every file with a safe fix and writes nothing', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-dry-'));
    cpSync(PROJECTS, copy, { recursive: true });
    const files = await discoverFiles([copy], copy);
    const report = await runFiles(files, new ConfigLoader(known), options(copy));
    const withSafe = report.files.filter((f) => f.findings.some((x) => x.fix && x.fix.edits.length > 0 && x.fix.applicability === 'safe')).map((f) => relative(copy, f.path));
    assert.ok(withSafe.length > 0, 'some file has a safe fix');
    const before = files.map((f) => readFileSync(f, 'utf8'));
    const dry = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--fix-dry-run', '.'], { cwd: copy, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    for (const file of withSafe) assert.ok(dry.stdout.includes(`+++ b/${file}`), `no diff for ${file}`);
    files.forEach((f, i) => assert.equal(readFileSync(f, 'utf8'), before[i], `dry run wrote ${relative(copy, f)}`));
  });
});

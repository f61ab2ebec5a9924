/**
 * Runners whose transaction switch lives beside the migration (diesel's metadata.toml,
 * Flyway's `.sql.conf`): following the fix's advice clears the finding.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../../rules/index.js';
import type { Finding } from '../../src/core/diagnostic.js';
import { ConfigLoader } from '../../src/config/index.js';
import { runFiles } from '../../src/lint/run.js';
import { dieselRunInTransaction, flywayExecuteInTransaction } from '../../src/sources/runner-metadata.js';

const known = new Set(rules.map((r) => r.meta.id));
const ALONE = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON leads (a);\n';
const CONCURRENT = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON leads (a);\n";

/** Lints `files` (relative path → text) in a fresh project configured for `runner` (null: none configured, detected); the findings of every file. */
async function lintFindings(runner: string | null, files: Record<string, string>): Promise<Finding[]> {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-runner-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(runner ? { miglint: { sqlRunner: runner } } : {}));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const sql = Object.keys(files).filter((f) => f.endsWith('.sql'));
  const r = await runFiles(sql.map((f) => join(dir, f)), new ConfigLoader(known), { cwd: dir, rules, only: null, fix: 'off', unsafeFixes: false });
  return r.files.flatMap((f) => f.findings.map((x) => ({ ...x, file: f.displayPath })));
}

/**
 * The rule ids found per file (every file listed, `[]` when clean), but prefer-robust-stmts: these tests are about
 * where a concurrent build runs; its IF NOT EXISTS, which that rule reports (it skips the INVALID leftover of a failed
 * build), is incidental, and the rule's own one-query-string cases are in robust-insert.test.ts.
 */
async function lint(runner: string | null, files: Record<string, string>): Promise<Record<string, string[]>> {
  const findings = (await lintFindings(runner, files)).filter((x) => x.ruleId !== 'prefer-robust-stmts');
  const sql = Object.keys(files).filter((f) => f.endsWith('.sql'));
  return Object.fromEntries(sql.map((f) => [f, findings.filter((x) => x.file === f).map((x) => x.ruleId)]));
}

describe('runner metadata beside the migration', () => {
  test('diesel: run_in_transaction = false in metadata.toml takes the migration out of the transaction', async () => {
    const found = await lint('diesel', {
      'migrations/2024-01-01-000000_off/up.sql': ALONE,
      'migrations/2024-01-01-000000_off/metadata.toml': '# built concurrently\nrun_in_transaction = false\n',
      // diesel still sends the file as one query string: with a second statement, PostgreSQL's implicit transaction remains.
      'migrations/2024-01-01-000001_batch/up.sql': CONCURRENT,
      'migrations/2024-01-01-000001_batch/metadata.toml': 'run_in_transaction = false\n',
      'migrations/2024-01-02-000000_on/up.sql': CONCURRENT,
      'migrations/2024-01-03-000000_explicit/up.sql': CONCURRENT,
      'migrations/2024-01-03-000000_explicit/metadata.toml': 'run_in_transaction = true\n',
    });
    assert.deepEqual(found, {
      'migrations/2024-01-01-000000_off/up.sql': [],
      'migrations/2024-01-01-000001_batch/up.sql': ['ban-concurrent-index-creation-in-transaction'],
      'migrations/2024-01-02-000000_on/up.sql': ['ban-concurrent-index-creation-in-transaction'],
      'migrations/2024-01-03-000000_explicit/up.sql': ['ban-concurrent-index-creation-in-transaction'],
    });
  });

  test('Flyway: executeInTransaction=false in <script>.sql.conf does the same', async () => {
    const found = await lint('flyway', {
      'db/V1__off.sql': CONCURRENT,
      'db/V1__off.sql.conf': 'executeInTransaction=false\n',
      'db/V2__on.sql': CONCURRENT,
    });
    assert.deepEqual(found, { 'db/V1__off.sql': [], 'db/V2__on.sql': ['ban-concurrent-index-creation-in-transaction'] });
  });

  test('Prisma Migrate: a migration.sql beside migration_lock.toml is one query string, and the index fix only advises', async () => {
    const files = {
      'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
      'prisma/migrations/20240101000000_timeout/migration.sql': CONCURRENT,
      'prisma/migrations/20240102000000_alone/migration.sql': ALONE,
      'prisma/migrations/20240103000000_plain/migration.sql': 'CREATE INDEX "Lead_phone_idx" ON "Lead"("phone");\n',
      // The same file without Prisma's lock file is psql's, statement by statement.
      'db/20240101000000_timeout/migration.sql': CONCURRENT,
    };
    assert.deepEqual(await lint(null, files), {
      'prisma/migrations/20240101000000_timeout/migration.sql': ['ban-concurrent-index-creation-in-transaction'],
      'prisma/migrations/20240102000000_alone/migration.sql': [],
      'prisma/migrations/20240103000000_plain/migration.sql': ['require-concurrent-index-creation', 'require-lock-timeout', 'require-statement-timeout'],
      'db/20240101000000_timeout/migration.sql': [],
    });
    const plain = (await lintFindings(null, files)).find((f) => f.ruleId === 'require-concurrent-index-creation');
    assert.equal(plain?.fix?.applicability, 'display-only');
    assert.match(plain?.fix?.title ?? '', /only statement of its migration file: Prisma Migrate \(version not known: no package\.json above the migrations depends on prisma or @prisma\/client; before 7\.4 .*\) sends the whole file as one query string/);
    // A configured runner wins over the project's files: psql runs the same file statement by statement.
    assert.deepEqual((await lint('psql', files))['prisma/migrations/20240101000000_timeout/migration.sql'], []);
  });

  test('another runner ignores a metadata.toml', async () => {
    const found = await lint('psql', { 'm/up.sql': 'BEGIN;\n' + CONCURRENT + 'COMMIT;\n', 'm/metadata.toml': 'run_in_transaction = false\n' });
    assert.deepEqual(found, { 'm/up.sql': ['ban-concurrent-index-creation-in-transaction'] });
  });

  test('the files are read as their formats define them', async () => {
    assert.equal(await dieselRunInTransaction('run_in_transaction = false # trailing comment\n'), false);
    assert.equal(await dieselRunInTransaction('[other]\nrun_in_transaction = false\n'), null, 'a key in another table is not the setting');
    assert.equal(await dieselRunInTransaction('run_in_transaction = "false"\n'), null);
    assert.equal(await dieselRunInTransaction('not toml ==='), null);
    assert.equal(flywayExecuteInTransaction('# comment\nexecuteInTransaction = false\r\n'), false);
    assert.equal(flywayExecuteInTransaction('executeInTransaction:true'), true);
    assert.equal(flywayExecuteInTransaction('encoding=UTF-8'), null);
  });
});

/**
 * Runner detection from the project's files, the Prisma version behind Prisma Migrate's
 * behaviour, and `miglint --print-config` showing what was decided and why.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../../src/config/index.js';
import { explainFile } from '../../src/lint/explain.js';
import { configForFile } from '../../src/lint/run.js';
import { lockedVersions, modeOf, prismaExecution } from '../../src/sources/prisma-version.js';
import { RunnerDetector } from '../../src/sources/runner-detect.js';

const known = new Set(rules.map((r) => r.meta.id));

/** A fresh project folder holding `files` (relative path → text). */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-detect-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe('the Prisma version', () => {
  test('a version or range says one string (before 7.4), statement by statement (7.4 on), or either', () => {
    assert.equal(modeOf('6.19.0'), 'one-string');
    assert.equal(modeOf('7.3.2'), 'one-string');
    assert.equal(modeOf('~7.3.0'), 'one-string');
    assert.equal(modeOf('<7.4.0'), 'unknown', 'a range with no lower bound is not read');
    assert.equal(modeOf('^6.0.0'), 'one-string');
    assert.equal(modeOf('7.4.0'), 'per-statement');
    assert.equal(modeOf('^7.4.1'), 'per-statement');
    assert.equal(modeOf('>=7.4'), 'per-statement');
    assert.equal(modeOf('7.4'), 'per-statement');
    assert.equal(modeOf('8.0.0'), 'per-statement');
    assert.equal(modeOf('^7.0.0'), 'unknown', '7.0 to 7.x: either');
    assert.equal(modeOf('7.x'), 'unknown');
    assert.equal(modeOf('7.3.x'), 'one-string');
    assert.equal(modeOf('latest'), 'unknown');
    assert.equal(modeOf('workspace:*'), 'unknown');
    assert.equal(modeOf('^6 || ^7'), 'unknown');
  });

  test('lock files give the installed version', () => {
    const npm = JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/prisma': { version: '7.4.1' }, 'node_modules/@prisma/client': { version: '7.4.1' } } });
    assert.deepEqual(lockedVersions('package-lock.json', npm, 'prisma'), ['7.4.1']);
    const pnpm = "lockfileVersion: '9.0'\nimporters:\n  .:\n    devDependencies:\n      prisma:\n        specifier: ^7.0.0\n        version: 7.3.0\npackages:\n  prisma@7.3.0:\n    resolution: {integrity: sha512-x}\n";
    assert.deepEqual(lockedVersions('pnpm-lock.yaml', pnpm, 'prisma'), ['7.3.0']);
    const yarn1 = '"@prisma/client@^7.0.0":\n  version "7.4.0"\n\nprisma@^7.0.0:\n  version "7.4.0"\n  resolved "x"\n';
    assert.deepEqual(lockedVersions('yarn.lock', yarn1, 'prisma'), ['7.4.0']);
    const berry = '"prisma@npm:^7.0.0":\n  version: 7.2.0\n  resolution: "prisma@npm:7.2.0"\n';
    assert.deepEqual(lockedVersions('yarn.lock', berry, 'prisma'), ['7.2.0']);
  });

  test('the nearest package.json decides, and its lock file when the range allows both', async () => {
    const dir = project({
      'package.json': JSON.stringify({ devDependencies: { prisma: '^7.0.0' } }),
      'package-lock.json': JSON.stringify({ packages: { 'node_modules/prisma': { version: '7.3.1' } } }),
      'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n',
    });
    const got = await prismaExecution(join(dir, 'prisma', 'migrations'), null, dir);
    assert.deepEqual(got, { mode: 'one-string', version: '7.3.1', source: 'prisma 7.3.1 in package-lock.json' });
    assert.equal((await prismaExecution(join(dir, 'prisma', 'migrations'), '7.4.0', dir)).mode, 'per-statement', 'the prismaVersion setting wins');
    const none = project({ 'package.json': '{}' });
    assert.equal((await prismaExecution(none, null, none)).mode, 'unknown');
  });
});

describe('runner detection', () => {
  const detect = async (files: Record<string, string>, file: string) => {
    const dir = project(files);
    return new RunnerDetector(dir).detect(join(dir, file));
  };

  test('the folders are listed through the listing it is given: a configuration loader shares its own, each folder listed once', async () => {
    const dir = project({ 'package.json': '{}', 'm/2024-01-01-000000_a/up.sql': '', 'm/2024-01-01-000000_b/up.sql': '', 'm/2024-01-01-000000_b/metadata.toml': '' });
    const loader = new ConfigLoader(new Set(rules.map((r) => r.meta.id)));
    const listed: string[] = [];
    const detector = new RunnerDetector(dir, (d) => (listed.push(d), loader.listDir(d)));
    for (const name of ['2024-01-01-000000_a', '2024-01-01-000000_b']) await loader.forFile(join(dir, 'm', name, 'up.sql'));
    assert.deepEqual(await detector.detect(join(dir, 'm', '2024-01-01-000000_b', 'up.sql')), { runner: 'diesel', detectedBy: 'm/2024-01-01-000000_b/metadata.toml' });
    assert.equal(await detector.detect(join(dir, 'm', '2024-01-01-000000_a', 'up.sql')), null);
    assert.equal(new Set(listed).size, listed.length, 'each folder asked for once');
    // A run's detector (configForFile's) asks its loader: the configuration search and the detection both ask for the file's folder there.
    const asked: string[] = [];
    class Counting extends ConfigLoader {
      override listDir(d: string): ReadonlySet<string> {
        asked.push(d);
        return super.listDir(d);
      }
    }
    const counting = new Counting(new Set(rules.map((r) => r.meta.id)));
    const file = join(dir, 'm', '2024-01-01-000000_b', 'up.sql');
    assert.equal((await configForFile(file, counting)).settings.runnerMetadata?.runner, 'diesel');
    assert.equal(asked.filter((d) => d === dirname(file)).length, 2);
    // What the loader listed for its configuration search is the same set the detector got.
    assert.equal(loader.listDir(join(dir, 'm', '2024-01-01-000000_b')), loader.listDir(join(dir, 'm', '2024-01-01-000000_b')));
    assert.ok(loader.listDir(join(dir, 'm', '2024-01-01-000000_b')).has('metadata.toml'));
    // A folder that cannot be listed: the same error each time, which the detector turns into nothing there for a missing one.
    assert.throws(() => loader.listDir(join(dir, 'gone')), /ENOENT/);
    assert.throws(() => loader.listDir(join(dir, 'gone')), /ENOENT/);
    // A listing of its own makes the detector see only what it lists.
    const fake = new RunnerDetector(dir, (d) => (d === join(dir, 'm', '2024-01-01-000000_a') ? ['up.sql', 'metadata.toml'] : []));
    assert.equal((await fake.detect(join(dir, 'm', '2024-01-01-000000_a', 'up.sql')))?.runner, 'diesel');
  });

  test('each runner from its own files', async () => {
    assert.deepEqual(await detect({ 'package.json': '{}', 'prisma/migrations/migration_lock.toml': '', 'prisma/migrations/1_a/migration.sql': '' }, 'prisma/migrations/1_a/migration.sql'), {
      runner: 'prisma',
      detectedBy: 'prisma/migrations/migration_lock.toml',
    });
    assert.deepEqual(await detect({ 'drizzle/meta/_journal.json': '{}', 'drizzle/0000_a.sql': '' }, 'drizzle/0000_a.sql'), { runner: 'drizzle', detectedBy: 'drizzle/meta/_journal.json' });
    assert.deepEqual(await detect({ 'package.json': '{}', 'diesel.toml': '', 'migrations/2024-01-01-000000_a/up.sql': '' }, 'migrations/2024-01-01-000000_a/up.sql'), { runner: 'diesel', detectedBy: 'diesel.toml' });
    assert.deepEqual(await detect({ 'm/2024-01-01-000000_a/up.sql': '', 'm/2024-01-01-000000_a/metadata.toml': '' }, 'm/2024-01-01-000000_a/up.sql'), { runner: 'diesel', detectedBy: 'm/2024-01-01-000000_a/metadata.toml' });
    assert.deepEqual(await detect({ '.git/HEAD': '', 'flyway.conf': '', 'sql/V1__a.sql': '' }, 'sql/V1__a.sql'), { runner: 'flyway', detectedBy: 'flyway.conf' });
    assert.deepEqual(await detect({ 'package.json': '{}', 'database.json': '{}', 'migrations/sqls/20240101-a-up.sql': '' }, 'migrations/sqls/20240101-a-up.sql'), { runner: 'db-migrate', detectedBy: 'database.json' });
    assert.deepEqual(await detect({ 'package.json': JSON.stringify({ dependencies: { 'db-migrate': '^0.11' } }), 'migrations/sqls/20240101-a-down.sql': '' }, 'migrations/sqls/20240101-a-down.sql'), {
      runner: 'db-migrate',
      detectedBy: 'package.json (dependency `db-migrate`)',
    });
    assert.deepEqual(await detect({ 'package.json': '{}', '.gmrc': '{}', 'migrations/committed/000001.sql': '' }, 'migrations/committed/000001.sql'), { runner: 'graphile-migrate', detectedBy: '.gmrc' });
    assert.deepEqual(await detect({ 'package.json': JSON.stringify({ devDependencies: { 'postgres-migrations': '5' } }), 'migrations/1_a.sql': '' }, 'migrations/1_a.sql'), {
      runner: 'postgres-migrations',
      detectedBy: 'package.json (dependency `postgres-migrations`)',
    });
    assert.deepEqual(await detect({ 'package.json': JSON.stringify({ dependencies: { postgres: '^3', 'postgres-shift': '^0.1' } }), 'migrations/00001_init/index.sql': '' }, 'migrations/00001_init/index.sql'), {
      runner: 'postgres-shift',
      detectedBy: 'package.json (dependency `postgres-shift`)',
    });
    assert.equal(await detect({ 'package.json': '{}', 'migrations/0001_a.sql': '' }, 'migrations/0001_a.sql'), null);
  });

  test('a migration.sql without Prisma\'s lock file, or a sqls/ file without db-migrate, is not theirs', async () => {
    assert.equal(await detect({ 'package.json': '{}', 'db/1_a/migration.sql': '' }, 'db/1_a/migration.sql'), null);
    assert.equal(await detect({ 'package.json': '{}', 'migrations/sqls/20240101-a-up.sql': '' }, 'migrations/sqls/20240101-a-up.sql'), null);
  });

  test('--print-config: the runner, the transaction mode and what decided each; a configured sqlRunner wins', async () => {
    const dir = project({
      'package.json': JSON.stringify({ devDependencies: { prisma: '6.19.0' } }),
      'prisma/migrations/migration_lock.toml': '',
      'prisma/migrations/1_a/migration.sql': 'CREATE INDEX CONCURRENTLY i ON t (a);\n',
      'migrations/20240101_a.up.sql': 'SELECT 1;\n',
      'golang/20240101_a.up.sql': 'SELECT 1;\n',
      'migrations/20240102_b.postgres.up.sql': 'SELECT 1;\n',
      'dbmate/20240101_a.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down transaction:false\nSELECT 2;\n',
    });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const prisma = await explainFile('prisma/migrations/1_a/migration.sql', new ConfigLoader(known), dir);
      assert.deepEqual(prisma.runner, { name: 'prisma', decidedBy: 'prisma/migrations/migration_lock.toml' });
      assert.equal(prisma.frontend, 'sql');
      assert.equal(prisma.transaction?.wrapped, false);
      assert.match(prisma.transaction?.reason ?? '', /^Prisma Migrate before 7\.4 \(prisma 6\.19\.0 in package\.json\) sends the whole file as one query string/);
      assert.deepEqual(prisma.prisma, { mode: 'one-string', version: '6.19.0', source: 'prisma 6.19.0 in package.json' });
      const golang = await explainFile('golang/20240101_a.up.sql', new ConfigLoader(known), dir);
      assert.deepEqual(golang.runner, { name: 'golang-migrate', decidedBy: "its file name (golang-migrate's `<version>_<title>.up.sql`)" });
      const pop = await explainFile('migrations/20240102_b.postgres.up.sql', new ConfigLoader(known), dir);
      assert.deepEqual(pop.runner, { name: 'pop', decidedBy: "its file name (pop's `<version>_<name>.<dialect>.up.sql`)" });
      assert.equal(pop.transaction?.wrapped, true);
      const besidePop = await explainFile('migrations/20240101_a.up.sql', new ConfigLoader(known), dir);
      assert.deepEqual(besidePop.runner, { name: 'pop', decidedBy: 'migrations/20240102_b.postgres.up.sql beside it (a name only pop writes)' });
      const dbmate = await explainFile('dbmate/20240101_a.sql', new ConfigLoader(known), dir);
      assert.equal(dbmate.runner?.name, 'dbmate');
      assert.deepEqual(dbmate.transaction?.byPhase, { down: false });
      writeFileSync(join(dir, '.miglintrc.json'), JSON.stringify({ sqlRunner: 'psql' }));
      const configured = await explainFile('prisma/migrations/1_a/migration.sql', new ConfigLoader(known), dir);
      assert.deepEqual(configured.runner, { name: 'psql', decidedBy: 'configuration `sqlRunner`' });
      assert.equal(configured.configFile, '.miglintrc.json');
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('db-migrate SQL files', () => {
  test('in a transaction unless the run is --non-transactional; then one query string', async () => {
    const { lint } = await import('../support/lint.js');
    const file = 'migrations/sqls/20240101000000-index-up.sql';
    const ids = (text: string, nonTransactional: boolean) =>
      lint(file, text, { config: { sqlRunner: 'db-migrate', ...(nonTransactional ? { dbMigrate: { nonTransactional: true } } : {}) }, rules: ['ban-concurrent-index-creation-in-transaction'] }).map((f) => f.ruleId);
    const alone = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON leads (a);\n';
    assert.deepEqual(ids(alone, false), ['ban-concurrent-index-creation-in-transaction']);
    assert.deepEqual(ids(alone, true), []);
    assert.deepEqual(ids(`SET lock_timeout = '5s';\n${alone}`, true), ['ban-concurrent-index-creation-in-transaction'], 'the wrapper sends the file as one string');
  });
});

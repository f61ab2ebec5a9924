/** `miglint init`: detection, the files it writes, and its pre-commit hook run by the real pre-commit. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { miglintIn } from './support/cli.js';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');
const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null', NO_COLOR: '1' };

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-init-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `miglint init <args>` in `dir`, in this process. */
async function init(dir: string, ...args: string[]) {
  const r = await miglintIn(['init', ...args], dir);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
}

const hasPreCommit = spawnSync('pre-commit', ['--version']).status === 0;

describe('miglint init', () => {
  test('detects the frameworks and the SQL runner, writes a configuration, and never overwrites one', async () => {
    const dir = project({ 'package.json': JSON.stringify({ devDependencies: { knex: '^3', pg: '^8' } }), 'db/migrations/001_x.up.sql': 'SELECT 1;\n', 'db/migrations/001_x.down.sql': 'SELECT 1;\n' });
    const r = await init(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^frameworks: knex, node-postgres\nSQL runner: golang-migrate \(from db\/migrations\/001_x\.(up|down)\.sql/);
    const config = JSON.parse(readFileSync(join(dir, '.miglintrc.json'), 'utf8'));
    assert.equal(config.sqlRunner, 'golang-migrate');
    // The configuration it wrote is valid: miglint runs with it.
    assert.equal(spawnSync(process.execPath, [BIN, 'db'], { cwd: dir, encoding: 'utf8' }).status, 0);
    writeFileSync(join(dir, '.miglintrc.json'), '{"pgVersion": 17}\n');
    assert.match((await init(dir)).stdout, /\.miglintrc\.json exists: left as it is/);
    assert.equal(readFileSync(join(dir, '.miglintrc.json'), 'utf8'), '{"pgVersion": 17}\n');
  });
  test('every TS/JS framework miglint reads, by its packages: Slonik, postgres.js and the rest', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ slonik: '^46' }, 'Slonik'],
      [{ '@slonik/migrator': '^0.12', umzug: '^3' }, 'Slonik, umzug'],
      [{ '@silverhand/slonik': '^31' }, 'Slonik'],
      [{ postgres: '^3.4' }, 'postgres.js'],
      [{ ley: '^0.8', postgres: '^3.4' }, 'postgres.js'],
      [{ 'postgres-shift': '^0.1' }, 'postgres.js'],
      [{ 'db-migrate': '^0.11', 'db-migrate-pg': '^1' }, 'db-migrate'],
      [{ '@mikro-orm/migrations': '^6' }, 'MikroORM'],
      [{ typeorm: '^0.3', pg: '^8' }, 'TypeORM, node-postgres'],
    ];
    for (const [deps, expected] of cases) {
      const r = await init(project({ 'package.json': JSON.stringify({ dependencies: deps }) }));
      assert.equal(r.stdout.split('\n')[0], `frameworks: ${expected}`, JSON.stringify(deps));
    }
  });
  test('diesel, dbmate and per-directory migrations', async () => {
    const diesel = project({ 'diesel.toml': '', 'migrations/2024-01-01-000000_x/up.sql': 'SELECT 1;\n' });
    assert.match((await init(diesel)).stdout, /SQL runner: diesel \(from diesel\.toml\)\nmigration directories: migrations\n/);
    const dbmate = project({ 'db/migrations/20240101_x.sql': '-- migrate:up\nSELECT 1;\n-- migrate:down\n' });
    assert.match((await init(dbmate)).stdout, /SQL runner: dbmate/);
  });
  test('the runner detection miglint itself uses: Prisma, drizzle', async () => {
    const prisma = project({ 'package.json': '{}', 'prisma/migrations/migration_lock.toml': 'provider = "postgresql"\n', 'prisma/migrations/20240101000000_x/migration.sql': 'SELECT 1;\n' });
    assert.match((await init(prisma)).stdout, /SQL runner: prisma \(from prisma\/migrations\/migration_lock\.toml\)\nmigration directories: prisma\/migrations\n/);
    assert.equal(JSON.parse(readFileSync(join(prisma, '.miglintrc.json'), 'utf8')).sqlRunner, 'prisma');
    const drizzle = project({ 'package.json': '{}', 'drizzle/migrations/0000_x.sql': 'SELECT 1;\n', 'drizzle/migrations/meta/_journal.json': '{}' });
    assert.match((await init(drizzle)).stdout, /SQL runner: drizzle \(from drizzle\/migrations\/meta\/_journal\.json\)/);
  });
  test('Python projects: Alembic and Django from their manifests, their migration folders, a hook that runs on .py files', async () => {
    const alembic = project({
      'requirements.txt': 'Flask-SQLAlchemy==3.1\nalembic>=1.8  # migrations\n',
      'alembic.ini': '[alembic]\nscript_location = alembic\n',
      'alembic/versions/0001_init.py': 'def upgrade():\n    pass\n',
    });
    const r = await init(alembic, '--pre-commit');
    // Flask-SQLAlchemy is one of the packages of the SQLAlchemy module (the Python frontend's framework list), named once.
    assert.match(r.stdout, /^frameworks: Alembic, SQLAlchemy\nSQL runner: no .sql migrations found\nmigration directories: alembic\/versions\n/);
    const both = project({ 'requirements.txt': 'flask-sqlalchemy\nsqlalchemy>=2\ndjango-extensions\n', 'manage.py': '' });
    assert.match((await init(both)).stdout, /^frameworks: Django, SQLAlchemy\n/);
    assert.match(readFileSync(join(alembic, '.pre-commit-config.yaml'), 'utf8'), /files: '\^\(alembic\/versions\)\/'\n\s+types_or: \[sql, ts, javascript, python\]/);
    const django = project({ 'pyproject.toml': '[project]\ndependencies = ["Django>=5", "django-extensions"]\n', 'shop/migrations/0001_initial.py': 'from django.db import migrations\n' });
    assert.match((await init(django)).stdout, /^frameworks: Django\nSQL runner: no .sql migrations found\nmigration directories: shop\/migrations\n/);
  });
  test('an invalid package.json is a clear error, exit 2', async () => {
    const r = await init(project({ 'package.json': '{' }));
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^miglint init: .*JSON/);
  });
  test('--pre-commit adds the hook once, to a new or an existing .pre-commit-config.yaml', async () => {
    const dir = project({ 'package.json': '{}', 'migrations/001.sql': 'SELECT 1;\n', '.pre-commit-config.yaml': 'repos:\n  - repo: local\n    hooks:\n      - id: other\n        name: other\n        entry: "true"\n        language: system\n' });
    await init(dir, '--pre-commit');
    const once = readFileSync(join(dir, '.pre-commit-config.yaml'), 'utf8');
    assert.match(once, /id: other[\s\S]*id: miglint\n/);
    assert.equal(once.match(/^repos:/gm)!.length, 1);
    assert.match((await init(dir, '--pre-commit')).stdout, /already has a miglint hook/);
    assert.equal(readFileSync(join(dir, '.pre-commit-config.yaml'), 'utf8'), once);
  });
  test('the hook it writes blocks a commit of a bad migration and passes a good one (real pre-commit)', { skip: hasPreCommit ? false : 'pre-commit is not installed' }, async () => {
    const dir = project({ 'package.json': '{}', 'db/migrations/001_ok.sql': 'SELECT 1;\n' });
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env: ENV });
    // The project's own miglint, as `npm install --save-dev miglint` would place it.
    mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
    symlinkSync(repoRoot, join(dir, 'node_modules', 'miglint'));
    symlinkSync(BIN, join(dir, 'node_modules', '.bin', 'miglint'));
    writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
    assert.equal((await init(dir, '--pre-commit')).status, 0);
    const env = { ...ENV, PRE_COMMIT_HOME: join(dir, '.pre-commit-home') };
    execFileSync('git', ['add', '.'], { cwd: dir, env });
    const good = spawnSync('pre-commit', ['run', '--files', 'db/migrations/001_ok.sql'], { cwd: dir, encoding: 'utf8', env });
    assert.equal(good.status, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /miglint\.+Passed/);
    writeFileSync(join(dir, 'db/migrations/002_bad.sql'), 'CREATE INDEX idx_a ON leads (a);\n');
    const bad = spawnSync('pre-commit', ['run', '--files', 'db/migrations/002_bad.sql'], { cwd: dir, encoding: 'utf8', env });
    assert.equal(bad.status, 1, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /miglint\.+Failed[\s\S]*error\[require-concurrent-index-creation\]/);
    const other = spawnSync('pre-commit', ['run', '--files', '.gitignore'], { cwd: dir, encoding: 'utf8', env });
    assert.match(other.stdout, /miglint\.+\(no files to check\)Skipped/);
  });
});

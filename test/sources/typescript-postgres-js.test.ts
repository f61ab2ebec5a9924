/**
 * postgres.js migrations as the tools made for it write them: ley's `exports.up = async (sql) =>`
 * and postgres-shift's `export default async function (sql)`, which import nothing, and the
 * transaction both run every pending migration in (read from the project's package.json).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../../src/config/index.js';
import type { RunnerMetadata } from '../../src/core/rule.js';
import { runFiles } from '../../src/lint/run.js';
import { connectionKey } from '../../src/sql/context.js';
import { lint } from '../support/lint.js';
import { applyEdits, initSqlParser, lines, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

const LEY: RunnerMetadata = { codeRunner: { name: 'ley', detectedBy: 'package.json (dependency `ley`)' } };

const leyJs = lines(
  'exports.up = async function up(sql) {',
  "  await sql`SET lock_timeout = '5s'`;",
  '  await sql`ALTER TABLE users ADD COLUMN password_hash varchar(60)`;',
  '};',
  '',
  'exports.down = async function down(sql) {',
  '  await sql`ALTER TABLE users DROP COLUMN password_hash`;',
  '};',
);

const shiftJs = lines('export default async function (sql) {', '  await sql`ALTER TABLE users ADD COLUMN balance float`', '  await sql`CREATE INDEX users_balance ON users (balance)`', '}', '');

describe('postgres.js migrations without an import', () => {
  test('a phase that uses its parameter as a tag is postgres.js, not node-postgres', () => {
    assert.equal(unitOf(leyJs, 'migrations/1636563976-add-password.js').framework, 'postgres-js');
    // A pg client is never a tag: `client.query(...)` stays node-postgres.
    assert.equal(unitOf(lines('exports.up = async (client) => {', "  await client.query('ALTER TABLE users ADD COLUMN a int');", '};'), 'm.js').framework, 'pg');
  });

  test("postgres-shift's default-exported function is the migration's up", () => {
    const unit = unitOf(shiftJs, 'migrations/00002_balance/index.js');
    assert.equal(unit.framework, 'postgres-js');
    assert.deepEqual(unit.statements.map((s) => s.phase), ['up', 'up']);
    // A file with up/down keeps them; its default export is not a third phase.
    const both = unitOf(lines(leyJs, 'export default async function (sql) { await sql`SELECT 1` }'), 'm.js');
    assert.deepEqual(both.statements.map((s) => s.phase), ['up', 'up', 'down', 'other']);
  });
});

describe('ley and postgres-shift run the migrations in one transaction', () => {
  test("without them the parameter is a pool: autocommit, and a SET may reach another connection", () => {
    const unit = unitOf(leyJs, 'm.js');
    assert.equal(unit.wrapped.inTransaction, false);
    assert.equal(statement(unit, 'ALTER TABLE users ADD').context.lockTimeoutSet, false);
  });

  test("under ley the parameter is the run's transaction: one connection, a SET on it covers the next query", () => {
    const unit = unitOf(leyJs, 'm.js', { runnerMetadata: LEY });
    assert.equal(unit.wrapped.inTransaction, true);
    assert.match(unit.wrapped.reason, /^ley runs all pending migrations in one sql\.begin transaction on one connection .*, per package\.json \(dependency `ley`\)$/);
    const [set, alter] = [statement(unit, 'SET lock_timeout'), statement(unit, 'ALTER TABLE users ADD')];
    assert.equal(connectionKey(set), connectionKey(alter));
    assert.equal(alter.context.lockTimeoutSet, true);
  });

  test("ley's node-postgres driver wraps the run too: a pg-style migration under ley is in its transaction", () => {
    const text = lines('exports.up = async (client) => {', "  await client.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email ON users (email)');", '};');
    assert.equal(unitOf(text, 'm.js').wrapped.inTransaction, false);
    const unit = unitOf(text, 'm.js', { runnerMetadata: LEY });
    assert.equal(unit.framework, 'pg');
    assert.match(unit.wrapped.reason, /^ley runs all pending migrations in one transaction \(BEGIN \.\.\. COMMIT\) on one node-postgres Client/);
    assert.equal(statement(unit, 'CREATE INDEX').context.inTransaction, true);
  });

  test('the lock-timeout fix inserts a query on the parameter, in the file\'s style (no semicolons here)', () => {
    const unit = unitOf(shiftJs, 'm.js', { runnerMetadata: { codeRunner: { name: 'postgres-shift', detectedBy: 'package.json (dependency `postgres-shift`)' } } });
    const edits = unit.edits.insertStatementBefore?.(statement(unit, 'ALTER TABLE'), "SET lock_timeout = '5s'");
    assert.equal(applyEdits(shiftJs, edits), shiftJs.replace('{\n', "{\n  await sql`SET lock_timeout = '5s'`\n"));
  });

  test('CREATE INDEX CONCURRENTLY runs inside that transaction (PostgreSQL refuses it, 25001)', () => {
    const text = lines('exports.up = async (sql) => {', '  await sql`CREATE INDEX CONCURRENTLY users_email ON users (email)`;', '};');
    const unit = unitOf(text, 'm.js', { runnerMetadata: LEY });
    assert.equal(statement(unit, 'CREATE INDEX').context.inTransaction, true);
  });

  test("the batched-backfill advice does not say to batch inside ley's transaction", () => {
    const text = lines('exports.up = async (sql) => {', '  await sql`UPDATE leads SET region = 1`;', '};');
    assert.match(unitOf(text, 'm.js').idioms!.batchedBackfill!, /^in postgres\.js, .* outside sql\.begin/);
    assert.match(unitOf(text, 'm.js', { runnerMetadata: LEY }).idioms!.batchedBackfill!, /^in a script of its own outside ley \(which runs every migration in the run's one transaction/);
  });

  test('read from the nearest package.json, end to end; `assumeInTransaction` still decides over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miglint-ley-'));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ dependencies: { ley: '^0.8.1', postgres: '^3.4.0' } }));
    const file = join(dir, 'migrations', '00001-index.js');
    writeFileSync(file, lines('exports.up = async (sql) => {', "  await sql`SET lock_timeout = '5s'`;", "  await sql`SET statement_timeout = '60s'`;", '  await sql`DROP INDEX CONCURRENTLY IF EXISTS users_email`;', '  await sql`CREATE INDEX CONCURRENTLY users_email ON users (email)`;', '};', ''));
    const run = async () => (await runFiles([file], new ConfigLoader(new Set(rules.map((r) => r.meta.id))), { cwd: dir, rules, only: null, fix: 'off', unsafeFixes: false })).files[0]!.findings.map((f) => f.ruleId);
    // In ley's transaction both the drop of a leftover and the build fail.
    assert.deepEqual(await run(), ['ban-concurrent-index-creation-in-transaction', 'ban-concurrent-index-creation-in-transaction']);
    writeFileSync(join(dir, '.miglintrc.json'), JSON.stringify({ assumeInTransaction: false }));
    assert.deepEqual(await run(), []);
  });
});

test("a pool's display-only timeout fix names postgres.js's own option, `connection`", () => {
  const text = lines("import postgres from 'postgres';", 'const sql = postgres(process.env.DATABASE_URL);', 'export async function up() {', '  await sql`DROP TABLE leads`;', '}');
  const [f] = lint('m.ts', text, { rules: ['require-lock-timeout'] });
  assert.equal(f?.fix?.applicability, 'display-only');
  assert.match(f!.fix!.title, /e\.g\. postgres\(url, \{ connection: \{ lock_timeout: '5s' \} \}\)$/);
});

test('sql.file(path) is reported as a file it did not read with the migration, naming the path', () => {
  const text = lines("import postgres from 'postgres';", 'export async function up(sql) {', "  await sql.file('migrations/0002.sql');", '  await sql.file(join(dir, name));', '}');
  const unit = unitOf(text, 'm.ts');
  assert.deepEqual(
    unit.unanalysed.map((u) => u.message.replace(/, which miglint does not read.*/, '')),
    ['Not analysed: `sql.file(...)` runs the SQL file `migrations/0002.sql`', 'Not analysed: `sql.file(...)` runs the SQL file the result of `join(...)`'],
  );
});

describe('how postgres.js sends a query', () => {
  const up = (...body: string[]) => lines("import postgres from 'postgres';", 'const sql = postgres();', 'export async function up() {', ...body, '}');
  test('a query run through .simple(), .values(), .execute() or .cursor() is a query; .describe() runs nothing', () => {
    const text = up(
      '  await sql`ALTER TABLE a ADD COLUMN x int`.simple();',
      '  await sql`ALTER TABLE b ADD COLUMN x int`.values();',
      '  await sql.unsafe(`ALTER TABLE c ADD COLUMN x int`).simple();',
      '  await sql`ALTER TABLE d ADD COLUMN x int`.execute();',
      '  await sql`ALTER TABLE e ADD COLUMN x int`.describe();',
    );
    assert.deepEqual(unitOf(text).statements.map((s) => s.sql), ['ALTER TABLE a ADD COLUMN x int', 'ALTER TABLE b ADD COLUMN x int', 'ALTER TABLE c ADD COLUMN x int', 'ALTER TABLE d ADD COLUMN x int']);
  });

  test('two statements in one template are refused (42601) unless .simple(); sql.unsafe(text) without parameters takes them', () => {
    const text = up(
      '  await sql`ALTER TABLE a ADD COLUMN x int; ALTER TABLE a ADD COLUMN y int`;',
      '  await sql`ALTER TABLE b ADD COLUMN x int; ALTER TABLE b ADD COLUMN y int`.simple();',
      "  await sql.unsafe('ALTER TABLE c ADD COLUMN x int; ALTER TABLE c ADD COLUMN y int');",
      "  await sql.unsafe('UPDATE d SET x = $1; UPDATE d SET y = $1', [1]);",
    );
    const unit = unitOf(text);
    const at = unit.syntaxErrors.map((e) => text.slice(e.offset, e.offset + 22));
    assert.deepEqual(at, ['ALTER TABLE a ADD COLU', 'UPDATE d SET y = $1\', ']);
    assert.match(unit.syntaxErrors[0]!.message, /^postgres\.js sends a sql`\.\.\.` template as one prepared statement .*42601 syntax_error/);
    assert.match(unit.syntaxErrors[1]!.message, /^postgres\.js sends a query with parameters as one prepared statement/);
  });
});

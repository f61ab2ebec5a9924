/**
 * Facts from a plain-SQL migration's earlier files (src/sources/sql-history.ts, sql-order.ts):
 * the fixture folders `fixtures/sql-history/<runner>/` end to end (a snapshot of the findings of
 * the rules that read the prior facts, with their notes), a file that does not parse or dynamic
 * SQL making the facts after it unknown, one file linted alone, worker threads, a changed earlier
 * file, and each runner's order.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { ConfigLoader } from '../src/config/index.js';
import { discoverFiles } from '../src/lint/discover.js';
import { runFiles, type RunOptions, type RunResult } from '../src/lint/run.js';
import { orderedMigrations, orderPlace, placeOf } from '../src/sources/sql-order.js';
import { fixturesDir } from './support/paths.js';
import { matchSnapshot } from './support/snapshot.js';

const HISTORY = join(fixturesDir, 'sql-history');
const known = new Set(rules.map((r) => r.meta.id));
const PRIOR_RULES = new Set(['changing-column-type', 'adding-not-nullable-field', 'ban-drop-not-null']);
const options = (cwd: string, workers: RunOptions['workers'] = 0): RunOptions => ({ cwd, rules, only: null, fix: 'off', unsafeFixes: false, workers });

async function lint(dir: string, paths: string[] = [dir], workers: RunOptions['workers'] = 0): Promise<RunResult> {
  const files = await discoverFiles(paths, dir);
  return runFiles(files, new ConfigLoader(known), options(dir, workers));
}

/** The findings of the rules that read prior facts: `file:line rule: message | note`. */
function lines(r: RunResult): string[] {
  return r.files.flatMap((f) => f.findings.filter((x) => PRIOR_RULES.has(x.ruleId)).map((x) => `${f.displayPath}:${x.line} ${x.ruleId}: ${x.message} | ${x.note ?? ''}`));
}

const at = (r: RunResult, file: string, line: number) => lines(r).filter((l) => l.startsWith(`${file}:${line} `));

/** Lets the history see a file rewritten in place: a new mtime, and past the one-second recheck. */
let rewrites = 0;
async function rewritten(path: string): Promise<void> {
  utimesSync(path, new Date(), new Date(Date.now() + 5000 + 1000 * ++rewrites));
  await new Promise((r) => setTimeout(r, 1100));
}

describe('facts from earlier migration files', () => {
  test('golang-migrate: old types, nullability and a validated CHECK from earlier up files; down files do not count', async () => {
    const dir = join(HISTORY, 'golang-migrate');
    const r = await lint(dir);
    matchSnapshot(lines(r).map((l) => `${l}\n`).join(''), join(HISTORY, 'golang-migrate.snap'));
    const good = 'migrations/000004_good.up.sql';
    for (const line of [3, 5, 7, 9]) assert.deepEqual(at(r, good, line), [], `${good}:${line} is safe given the earlier files`);
    assert.deepEqual(at(r, 'migrations/000005_bad.up.sql', 2), [], 'varchar(200) from 000004 up (not its down file) to varchar(250)');
    assert.match(at(r, 'migrations/000005_bad.up.sql', 6)[0] ?? '', /int8 \(its type since the earlier migration 000001_init\.up\.sql\) is not binary coercible/);
    assert.match(at(r, 'migrations/000005_bad.up.sql', 8)[0] ?? '', /ban-drop-not-null/);
    assert.match(at(r, 'migrations/000007_after_dynamic.up.sql', 2)[0] ?? '', /may rewrite it\. \| .*old type is not known from this migration/, 'dynamic SQL in 000006 makes the type unknown');
  });

  test('Prisma Migrate: facts from earlier migration folders; a migration that does not parse makes them unknown', async () => {
    const dir = join(HISTORY, 'prisma');
    const r = await lint(dir);
    matchSnapshot(lines(r).map((l) => `${l}\n`).join(''), join(HISTORY, 'prisma.snap'));
    const widen = 'prisma/migrations/20240201000000_widen/migration.sql';
    assert.deepEqual(at(r, widen, 2), [], 'VARCHAR(100) and NUMERIC(10,2) from init widen without a rewrite');
    assert.match(at(r, widen, 5)[0] ?? '', /text \(its type since the earlier migration 20240101000000_init\/migration\.sql\)/);
    assert.match(at(r, widen, 7)[0] ?? '', /adding-not-nullable-field/);
    const again = 'prisma/migrations/20240401000000_widen_again/migration.sql';
    assert.match(at(r, again, 2)[0] ?? '', /may rewrite it/, 'unknown after the broken migration');

    // Without the broken migration the same fact is known: so it is the broken file that made it unknown.
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, 'prisma/migrations/20240301000000_broken'), { recursive: true });
    assert.deepEqual(at(await lint(copy), again, 2), [], 'VARCHAR(200) from widen to VARCHAR(300)');
  });

  test('one file linted alone (a pre-commit hook) sees its folder, and worker threads give the same findings', async () => {
    const dir = join(HISTORY, 'golang-migrate');
    const all = await lint(dir);
    const one = await lint(dir, [join(dir, 'migrations/000005_bad.up.sql')]);
    assert.deepEqual(lines(one), lines(all).filter((l) => l.startsWith('migrations/000005_bad.up.sql:')));
    const pooled = await lint(dir, [dir], 2);
    assert.deepEqual(lines(pooled), lines(all));
  });

  test('a changed earlier file is read again (size and mtime, rechecked after a second)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    const m = join(copy, 'migrations');
    mkdirSync(m);
    writeFileSync(join(m, '1_init.up.sql'), 'CREATE TABLE t (c varchar(10));\n');
    writeFileSync(join(m, '2_widen.up.sql'), 'ALTER TABLE t ALTER COLUMN c TYPE varchar(20);\n');
    assert.deepEqual(lines(await lint(copy)), []);
    writeFileSync(join(m, '1_init.up.sql'), 'CREATE TABLE t (c integer);\n');
    utimesSync(join(m, '1_init.up.sql'), new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 1100));
    assert.match(lines(await lint(copy))[0] ?? '', /int4 \(its type since the earlier migration 1_init\.up\.sql\) is not binary coercible to varchar\(20\)/);
  });

  test('a repeatable Flyway migration changed to alter tables makes the folder unknown in a run that had read it before', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    const m = join(copy, 'db', 'migration');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, 'V1__init.sql'), 'CREATE TABLE t (c varchar(10));\n');
    writeFileSync(join(m, 'V2__widen.sql'), 'ALTER TABLE t ALTER COLUMN c TYPE varchar(20);\n');
    writeFileSync(join(m, 'R__views.sql'), 'CREATE OR REPLACE VIEW v AS SELECT 1;\n');
    const widen = (r: RunResult) => lines(r).filter((l) => l.startsWith('db/migration/V2__widen.sql:1 changing-column-type'));
    assert.deepEqual(widen(await lint(copy)), [], 'varchar(10) from V1, widened');
    writeFileSync(join(m, 'R__views.sql'), 'ALTER TABLE t ALTER COLUMN c TYPE integer;\n');
    utimesSync(join(m, 'R__views.sql'), new Date(), new Date(Date.now() + 5000));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(widen(await lint(copy)).length, 1, 'the repeatable migration runs at no fixed place: the old type is unknown');
  });

  test("dbmate: only each earlier file's `-- migrate:up` section counts", async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    const m = join(copy, 'db', 'migrations');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, '20240101_init.sql'), '-- migrate:up\nCREATE TABLE t (c varchar(10));\nALTER TABLE t ALTER COLUMN c TYPE varchar(15);\n\n-- migrate:down\nALTER TABLE t ALTER COLUMN c TYPE integer;\n');
    writeFileSync(join(m, '20240201_widen.sql'), '-- migrate:up\nALTER TABLE t ALTER COLUMN c TYPE varchar(20);\n\n-- migrate:down\nSELECT 1;\n');
    assert.deepEqual(lines(await lint(copy)).filter((l) => l.includes('20240201_widen.sql:2 ')), [], 'varchar(15) from the up section, not integer from the down one');
  });

  test('DROP SCHEMA or TYPE ... CASCADE in an earlier file makes the facts it takes with it unknown; a view\'s CASCADE does not', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    const m = join(copy, 'db', 'migrations');
    mkdirSync(m, { recursive: true });
    writeFileSync(join(m, '20240101_init.sql'), '-- migrate:up\nCREATE SCHEMA app;\nCREATE TABLE app.t (c varchar(10));\n\n-- migrate:down\nSELECT 1;\n');
    writeFileSync(join(m, '20240201_reset.sql'), '-- migrate:up\nDROP SCHEMA app CASCADE;\n\n-- migrate:down\nSELECT 1;\n');
    writeFileSync(join(m, '20240301_widen.sql'), '-- migrate:up\nALTER TABLE app.t ALTER COLUMN c TYPE varchar(20);\n\n-- migrate:down\nSELECT 1;\n');
    // varchar(10) → varchar(20) would be exempt (binary-coercible) were the old type known; after the drop it is not.
    const widen = lines(await lint(copy)).filter((l) => l.includes('20240301_widen.sql:2 changing-column-type'));
    assert.equal(widen.length, 1, 'the type change is reported: varchar(10) is not known to hold after the drop');
    assert.doesNotMatch(widen[0]!, /varchar\(10\)/);
    // DROP TYPE ... CASCADE takes the columns of that type with it: what came before is unknown.
    writeFileSync(join(m, '20240201_reset.sql'), '-- migrate:up\nDROP TYPE mood CASCADE;\n\n-- migrate:down\nSELECT 1;\n');
    await rewritten(join(m, '20240201_reset.sql'));
    const byType = lines(await lint(copy)).filter((l) => l.includes('20240301_widen.sql:2 changing-column-type'));
    assert.equal(byType.length, 1, 'after DROP TYPE ... CASCADE the old type is not known');
    // A view's CASCADE drops views only: varchar(10) from the first file still holds, and the widening is exempt.
    writeFileSync(join(m, '20240201_reset.sql'), '-- migrate:up\nDROP VIEW IF EXISTS v CASCADE;\n\n-- migrate:down\nSELECT 1;\n');
    await rewritten(join(m, '20240201_reset.sql'));
    assert.deepEqual(lines(await lint(copy)).filter((l) => l.includes('20240301_widen.sql:2 changing-column-type')), []);
  });

  test("drizzle-kit: the journal's order; a guarded ADD CONSTRAINT in a DO block keeps the columns known, another statement there does not", async () => {
    const copy = mkdtempSync(join(tmpdir(), 'miglint-history-'));
    const m = join(copy, 'drizzle');
    mkdirSync(join(m, 'meta'), { recursive: true });
    const tags = ['0000_init', '0001_fk', '0002_widen', '0003_do_alter', '0004_widen'];
    writeFileSync(join(m, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries: tags.map((tag, idx) => ({ idx, tag, when: idx, breakpoints: true })) }));
    writeFileSync(join(m, '0000_init.sql'), 'CREATE TABLE "p" ("id" integer PRIMARY KEY);\n--> statement-breakpoint\nCREATE TABLE "t" ("c" varchar(10), "p_id" integer);\n');
    writeFileSync(join(m, '0001_fk.sql'), 'DO $$ BEGIN\n ALTER TABLE "t" ADD CONSTRAINT "t_p_fk" FOREIGN KEY ("p_id") REFERENCES "p"("id");\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$;\n');
    writeFileSync(join(m, '0002_widen.sql'), 'ALTER TABLE "t" ALTER COLUMN "c" SET DATA TYPE varchar(20);\n');
    writeFileSync(join(m, '0003_do_alter.sql'), 'DO $$ BEGIN\n ALTER TABLE "t" ALTER COLUMN "c" SET DATA TYPE text;\nEXCEPTION\n WHEN others THEN null;\nEND $$;\n');
    writeFileSync(join(m, '0004_widen.sql'), 'ALTER TABLE "t" ALTER COLUMN "c" SET DATA TYPE varchar(30);\n');
    const r = await lint(copy);
    assert.deepEqual(lines(r).filter((l) => l.startsWith('drizzle/0002_widen.sql:')), [], 'varchar(10) from 0000 to varchar(20)');
    assert.match(lines(r).find((l) => l.startsWith('drizzle/0004_widen.sql:1 ')) ?? '', /may rewrite it/, 'the DO block of 0003 may or may not have changed the type');
  });

  test("each runner's order: versions as numbers, Flyway's dotted versions, pop's other dialects left out", () => {
    const dir = mkdtempSync(join(tmpdir(), 'miglint-order-'));
    for (const n of ['10_b.up.sql', '2_a.up.sql', '2_a.down.sql', '1_x.mysql.up.sql', '1_x.postgres.up.sql', 'V1.10__c.sql', 'V1.2__b.sql', 'V1__a.sql', 'R__views.sql', 'U1.2__b.sql', 'notes.sql']) writeFileSync(join(dir, n), 'SELECT 1;\n');
    const names = (runner: Parameters<typeof orderedMigrations>[1]) => orderedMigrations(dir, runner)!.migrations.map((m) => m.name);
    assert.deepEqual(names('golang-migrate'), ['1_x.mysql.up.sql', '1_x.postgres.up.sql', '2_a.up.sql', '10_b.up.sql']);
    assert.deepEqual(names('pop'), ['1_x.postgres.up.sql', '2_a.up.sql', '10_b.up.sql']);
    assert.deepEqual(names('flyway'), ['V1__a.sql', 'V1.2__b.sql', 'V1.10__c.sql']);
    assert.deepEqual(orderedMigrations(dir, 'flyway')!.floating.map((m) => m.name), ['R__views.sql']);
    assert.equal(orderPlace(join(dir, '2_a.down.sql'), 'golang-migrate'), null, 'a down file has no place');
    assert.equal(orderPlace(join(dir, 'x.sql'), 'psql'), null, 'psql has no order');
    // A file not saved yet goes where its version puts it.
    assert.equal(placeOf(orderedMigrations(dir, 'golang-migrate')!.migrations, '3_new.up.sql', 'golang-migrate'), 3);
  });
});

/** `migrun plan --offline`: a plan for review without a database (nothing connects). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanEnv, fixtureCopy, migrationsDir, migrun } from './helpers.js';

test('plan --offline plans every migration without connecting, answering checks as on a database without the change', async () => {
  const dir = fixtureCopy('basic');
  // Port 1 refuses connections: the plan succeeds only because nothing connects.
  const r = await migrun(['plan', '--offline', dir, '--database-url', 'postgres://app:offline-secret@127.0.0.1:1/app'], { env: cleanEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^4 migrations planned offline \(no database: which are applied is unknown, so all are shown as pending\)/);
  assert.match(r.stdout, /001_create_items\.sql \(pending\): one transaction, all or nothing/);
  assert.match(r.stdout, /step 2 {2}execIndex {2}autocommit\n\s+\S+002_category_index\.sql:3:1 {2}CREATE INDEX CONCURRENTLY IF NOT EXISTS items_category_idx ON items \(category\)\n\s+SHARE UPDATE EXCLUSIVE on items/);
  assert.match(r.stdout, /003_flag\.mjs \(pending\): 3 steps[^]*assumed ctx\.check\.columnExists\(items, flag\) = false\n {2}step 1 {2}execDdl {2}transaction\n\s+[^\n]+ {2}ALTER TABLE items ADD COLUMN flag boolean\n\s+ACCESS EXCLUSIVE on items/);
  assert.match(r.stdout, /004_typed\.ts \(pending\)[^]*assumed ctx\.check\.indexExists\(items_tenant_idx\) = false/);
  // Statements of module migrations are located at their place in the module (a .ts one through its source map).
  assert.match(r.stdout, /\S+003_flag\.mjs:4:20 {2}ALTER TABLE items ADD COLUMN flag boolean\n/);
  assert.match(r.stdout, /\S+004_typed\.ts:11:7 {2}CREATE INDEX CONCURRENTLY items_tenant_idx ON items \(tenant_id\)\n[^]*\S+004_typed\.ts:12:7 {2}INSERT INTO migration_log/);
  assert.ok(!(r.stdout + r.stderr).includes('offline-secret'));
});

test('plan without --offline and without a reachable server is a connection error (exit 2), not an empty plan', async () => {
  const r = await migrun(['plan', fixtureCopy('basic'), '--database-url', 'postgres://app:offline-secret@127.0.0.1:1/app'], { env: cleanEnv() });
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /planned/);
  assert.ok(!(r.stdout + r.stderr).includes('offline-secret'));
});

test('plan --offline shows the locks on tables a statement does not name: the ones the migration made by name, the others as the set they are', async () => {
  const dir = migrationsDir({
    '001_domain.sql': 'CREATE TABLE refunds (id bigint PRIMARY KEY, amount positive_amount);\nALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);\nALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_max CHECK (VALUE < 1000) NOT VALID;\n',
  });
  const r = await migrun(['plan', '--offline', dir, '--database-url', 'postgres://app:offline-secret@127.0.0.1:1/app'], { env: cleanEnv() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ADD CONSTRAINT positive_amount_check CHECK \(VALUE > 0\)\n\s+SHARE on public\.refunds, SHARE on tables using domain "public"\."positive_amount"\n/);
  assert.match(r.stdout, /CHECK \(VALUE < 1000\) NOT VALID\n\s+no table lock/);
});

/**
 * Statement facts computed on first read (src/sql/statement-facts.ts): a fact read after the
 * whole unit's contexts are computed (the delta, the settings and the created tables moved on)
 * is the fact read when nothing after its statement has run yet, and the order facts are read in
 * does not change them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { factsOf, type StatementFacts } from '../src/sql/facts.js';
import { initSqlParser } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';

await initSqlParser();

const unit = (sql: string) => loadUnit('m.sql', sql, config({ pgVersion: 15 }).settings);

/** The computed facts as text, read in the order given. */
function computed(f: StatementFacts, order: readonly (keyof StatementFacts)[]): string {
  const out: Record<string, unknown> = {};
  for (const k of order) out[k] = f[k];
  return JSON.stringify(order.map((k) => [k, out[k]]));
}

const ORDER = ['locks', 'table', 'alter', 'dml', 'effects', 'cascade'] as const;
const REVERSED = [...ORDER].reverse();

// Each later statement changes what an earlier one's facts are made of: the delta (a column made
// NOT NULL, a table created, retyped, dropped), the search_path, the TimeZone in force.
const SQL = [
  'LOCK TABLE u IN ACCESS EXCLUSIVE MODE;',
  'ALTER TABLE t ADD PRIMARY KEY (c);',
  'ALTER TABLE t ALTER COLUMN c SET NOT NULL;',
  'ALTER TABLE t ALTER COLUMN c TYPE bigint;',
  'CREATE TABLE u (id int PRIMARY KEY, v text);',
  'ALTER TABLE u ALTER COLUMN v TYPE varchar(10);',
  'ALTER TABLE u ALTER COLUMN v TYPE text;',
  "UPDATE u SET v = 'x';",
  'ALTER TABLE t ALTER COLUMN d TYPE timestamptz;',
  'SET search_path = audit;',
  "UPDATE u SET v = 'y';",
  "SET timezone = 'UTC';",
  'ALTER TABLE public.t ALTER COLUMN d TYPE timestamptz;',
  'DROP TABLE public.u CASCADE;',
  'CREATE TABLE public.t (c int);',
].join('\n');

test("a statement's facts read after the unit's contexts moved on are those of the unit that ends with it", () => {
  const whole = unit(SQL).statements;
  assert.equal(whole.length, 15);
  for (const [i, s] of whole.entries()) {
    // The unit cut after statement i: nothing after it has been applied when its facts are read.
    const cut = unit(SQL.slice(0, s.span.end)).statements;
    assert.equal(cut.length, i + 1);
    assert.equal(computed(factsOf(s), ORDER), computed(factsOf(cut[i]!), ORDER), s.sql);
  }
  // Not vacuous: the facts that later statements would change say what held before them.
  const pk = factsOf(whole[1]!);
  assert.ok(pk.effects.some((e) => e.kind === 'scan'), 'ADD PRIMARY KEY scans for NULLs: c is not yet NOT NULL');
  assert.equal(factsOf(whole[0]!).locks[0]!.existing, true, 'LOCK TABLE u runs before u is created');
  const retype = factsOf(whole[6]!).alter[0]!;
  assert.equal(retype.kind === 'alter-column-type' && retype.oldType?.name, 'varchar');
  assert.equal(factsOf(whole[7]!).dml?.table, 'public.u');
});

test('the order facts are read in does not change them', () => {
  const a = unit(SQL).statements;
  const b = unit(SQL).statements;
  for (const [i, s] of a.entries()) {
    const forward = computed(factsOf(s), ORDER);
    const backward = computed(factsOf(b[i]!), REVERSED);
    assert.equal(JSON.stringify(Object.fromEntries(JSON.parse(forward))), JSON.stringify(Object.fromEntries(JSON.parse(backward).reverse())), s.sql);
  }
});

test('a fact is computed once: the same object on every read', () => {
  const f = factsOf(unit(SQL).statements[1]!);
  assert.equal(f.locks, f.locks);
  assert.equal(f.alter, f.alter);
  assert.equal(f.effects, f.effects);
});

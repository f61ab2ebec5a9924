/**
 * The fuzz harness in `npm test`: the generator and the oracle checked on inputs
 * whose outcome is known, then a short seeded run of the full generator. The
 * long run is `node dist/test/fuzz/run.js --runs 100000`.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decode, visible } from './doc.js';
import { prepare, render, runFuzz, shrink, specArb, type Figures } from './fuzz.js';
import { sqlItemArb, STMT_KINDS } from './grammar.js';
import { RULE, type Expected, type Seg } from './model.js';
import { check, type Part } from './oracle.js';
import { FRAMEWORKS } from './ts-frameworks.js';

await prepare();

describe('fuzz generator', () => {
  test('a seed gives the same inputs', () => {
    const a = fc.sample(specArb, { seed: 99, numRuns: 30 }).map((s) => render(s).bytes.toString('base64'));
    const b = fc.sample(specArb, { seed: 99, numRuns: 30 }).map((s) => render(s).bytes.toString('base64'));
    assert.deepEqual(a, b);
  });

  test('every piece occurs: statement kinds, frameworks, templates, nesting, bad bytes', () => {
    const inputs = fc.sample(specArb, { seed: 7, numRuns: 600 }).map(render);
    const kinds = new Set(inputs.flatMap((i) => i.expected.map((e) => e.kind)));
    for (const k of [...STMT_KINDS.filter((k) => k !== 'alter-created' && k !== 'index-created' && k !== 'index-other-table'), 'begin', 'commit', 'do', 'builder-index']) assert.ok(kinds.has(k), `no ${k} statement`);
    for (const k of ['alter-created', 'index-created', 'index-other-table']) assert.ok(kinds.has(k), `no ${k} (needs a table created earlier)`);
    const labels = new Set(inputs.map((i) => i.label));
    for (const fw of FRAMEWORKS) for (const lang of ['ts', 'js']) assert.ok(labels.has(`${fw}.${lang}`), `no ${fw}.${lang} module`);
    for (const runner of ['psql', 'golang-migrate', 'dbmate']) assert.ok(labels.has(`sql:${runner}`), `no ${runner} file`);
    const features = new Set(inputs.flatMap((i) => i.expected.flatMap((e) => e.features)));
    for (const f of ['in-do', 'unknown-hole', 'broken-hole', 'const-hole', 'const-sql', 'tx-callback', 'builder', 'deep', 'nul-in-file', 'unterminated', 'script-error-before'])
      assert.ok(features.has(f), `no statement with feature ${f}`);
    const text = inputs.map((i) => i.text).join('\n');
    for (const [what, re] of [['Hebrew', /[\u0590-\u05ff]/], ['emoji', /\u{1F389}/u], ['U+FFFD from invalid UTF-8', /\uFFFD/], ['CRLF', /\r\n/], ['a BOM', /\uFEFF/], ['an E string', /E'/], ['a tagged dollar quote', /\$_a1\$/], ['a nested block comment', /\/\* \/\*/], ['a template substitution', /\$\{process\.env\./]] as const)
      assert.ok(re.test(text), `no ${what}`);
    assert.ok(inputs.some((i) => i.bytes.includes(0)), 'no NUL byte');
    assert.ok(fc.sample(sqlItemArb, { seed: 1, numRuns: 5000 }).some((i) => i.t === 'bulk'), 'no large file');
  });
});

/** An input of one SQL statement owned by statement 1, with what the oracle is told to expect of it. */
function input(before: string, stmt: string, claim: Partial<Expected>) {
  const segs: Seg[] = [{ text: before }, { text: stmt, owner: 1 }, { text: '\n' }];
  const e: Expected = { id: 1, marker: 'fz1x', kind: 'index-existing', expect: [], safe: false, broken: false, start: 0, end: 0, features: [], ...claim };
  return decode('m.sql', 'sql:psql', {}, segs, [e], []);
}
const parts = (i: ReturnType<typeof input>): Part[] => check(i).failures.map((f) => f.part);

describe('fuzz oracle', () => {
  const index = 'CREATE INDEX fz1x ON leads (a);';
  test('a statement with the findings its piece must get passes', () => {
    assert.deepEqual(parts(input('', index, { expect: [RULE.index, RULE.lock, RULE.stmt] })), []);
  });
  test('a missing finding fails (missed)', () => {
    assert.deepEqual(parts(input('', index, { expect: [RULE.drop] })), ['missed']);
  });
  test('a finding at a statement claimed safe fails (unexpected)', () => {
    assert.deepEqual(parts(input('', index, { safe: true })), ['unexpected']);
  });
  test('a statement the unit does not hold and nothing reports fails (dropped)', () => {
    assert.deepEqual(parts(input('', 'SELECT 1 AS fz2x;', { marker: 'fz1x' })), ['dropped']);
  });
  test('a statement claimed broken that parses is a generator error (model); one reported as a syntax error passes', () => {
    assert.deepEqual(parts(input('', 'SELECT 1 AS fz1x;', { broken: true })), ['model']);
    assert.deepEqual(parts(input('', 'CREATE INDEX fz1x ON leads (a;', { broken: true })), []);
  });
  test('a syntax error before a statement counts as reporting it', () => {
    assert.deepEqual(parts(input('SELEC 1;\n', 'SELECT 1 AS fz2x;', { marker: 'fz1x', safe: true })), []);
  });
});

function summary(f: Figures): string {
  const lines = Object.entries(f.parts).map(([p, n]) => `${p}: ${n}`);
  return `${f.inputsFailing} of ${f.runs} inputs failed (${lines.join(', ')}); classes:\n${f.classes.map((c) => `  ${c.inputs}  ${c.key}  e.g. ${c.example.label}: ${c.example.detail.slice(0, 160)}`).join('\n')}`;
}

describe('fuzz short run', () => {
  // The full generator, unrestricted. It fails until every silent pass of issue 7 is closed: see the classes it prints.
  test('300 seeded inputs, full generator: no exception, no run over 2 s, no statement dropped silently (fails on main until the fail-closed fixes land)', () => {
    const seed = 20240607;
    const figures = runFuzz(seed, 300);
    if (figures.inputsFailing === 0) return;
    const first = figures.classes[0]!;
    const cx = shrink(seed, first, 10);
    const example = cx ? `\nshrunk counterexample of ${first.key} (${cx.input.label}):\n${visible(cx.input.text)}\n${cx.failures.map((x) => x.detail.split('\n')[0]).join('\n')}` : '';
    assert.fail(`${summary(figures)}${example}`);
  });
});

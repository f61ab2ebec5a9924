/**
 * Every fixable bad fixture: the fixed output equals `<fixture>.fixed` byte for byte
 * (and `<fixture>.unsafe-fixed` with --unsafe-fixes when that differs), parses,
 * re-lints without the fixed findings, and fixing again changes nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { applyFixes, mapOffset, fixText, isApplicable } from '../src/lint/fix.js';
import { syntaxProblem } from '../src/lint/verify.js';
import { initSqlParser } from '../src/sql/parse.js';
import { config, lint } from './support/lint.js';
import { fixturesDir } from './support/paths.js';
import { matchSnapshot } from './support/snapshot.js';
import { fixtureConfig, fixtureInputs, fixtureName, optIn } from './support/fixtures.js';

await initSqlParser();

for (const rule of rules) {
  const id = rule.meta.id;
  const bad = fixtureInputs(id).filter((f) => f.startsWith('bad'));
  describe(`${id} fixes`, () => {
    for (const file of bad) {
      const path = join(fixturesDir, 'rules', id, file);
      for (const unsafe of [false, true]) {
        test(`${file}${unsafe ? ' with unsafe fixes' : ''}`, (t) => {
          const text = readFileSync(path, 'utf8');
          const name = fixtureName(id, file);
          const cfg = config(fixtureConfig(file, optIn(rule)));
          const opts = { rules, only: new Set([id]), unsafe };
          const findings = lint(name, text, { rules: [id], config: fixtureConfig(file, optIn(rule)) });
          const fixable = findings.filter((f) => isApplicable(f.fix, unsafe));
          const expected = `${path}.${unsafe ? 'unsafe-fixed' : 'fixed'}`;
          if (fixable.length === 0) {
            assert.equal(fixText(name, text, cfg, opts).output, text, 'nothing applicable, nothing changes');
            assert.ok(!existsSync(expected), `${expected} exists, but no fix applies: a stale expected output`);
            if (!unsafe) t.diagnostic(`${file}: no safe fix`);
            return;
          }
          const result = fixText(name, text, cfg, opts);
          assert.equal(result.error, null);
          assert.notEqual(result.output, text);
          // The safe output is made again only for the unsafe run, the one that compares with it.
          if (!unsafe || result.output !== fixText(name, text, cfg, { ...opts, unsafe: false }).output) matchSnapshot(result.output, expected);
          else assert.ok(!existsSync(expected), `${expected} exists, but the unsafe fixes give what the safe ones give: a stale expected output`);
          assert.equal(syntaxProblem(name, result.output), null, 'the fixed file parses');
          const after = lint(name, result.output, { rules: [id], config: fixtureConfig(file, optIn(rule)) });
          const leftover = new Set(findings.filter((f) => !isApplicable(f.fix, unsafe)).map((f) => f.message));
          for (const f of after) assert.ok(leftover.has(f.message), `re-linting still reports a fixed finding: ${f.message}`);
          assert.equal(fixText(name, result.output, cfg, opts).output, result.output, 'fixing twice equals fixing once');
        });
      }
    }
  });
}

/** Whether a finding comes with edits (applied or shown: display-only advice counts as a fix too). */
const hasFix = (f: { fix?: { edits: unknown[] } }) => !!f.fix && f.fix.edits.length > 0;

/**
 * A rule's `fixable` is a claim about its findings, checked over all its bad fixtures:
 * `none` no finding has a fix; `always` every finding has one; `sometimes` at least one
 * finding has a fix and at least one has none (else the rule is `always` or `none`, or
 * its fixtures do not show the case it cannot fix).
 */
describe('rule metadata matches the fixes it emits', () => {
  for (const rule of rules) {
    test(`${rule.meta.id} (fixable: ${rule.meta.fixable})`, () => {
      const findings = fixtureInputs(rule.meta.id)
        .filter((f) => f.startsWith('bad'))
        .flatMap((file) => lint(fixtureName(rule.meta.id, file), readFileSync(join(fixturesDir, 'rules', rule.meta.id, file), 'utf8'), { rules: [rule.meta.id], config: fixtureConfig(file, optIn(rule)) }).map((f) => ({ ...f, file })));
      assert.ok(findings.length > 0, `${rule.meta.id}: its bad fixtures raise nothing`);
      const fixed = findings.filter(hasFix);
      const unfixed = findings.filter((f) => !hasFix(f));
      const where = (fs: typeof findings) => fs.map((f) => `${f.file}:${f.line}`).join(', ');
      if (rule.meta.fixable === 'none') assert.equal(fixed.length, 0, `${rule.meta.id} says fixable: none but emits fixes at ${where(fixed)}`);
      if (rule.meta.fixable === 'always') assert.equal(unfixed.length, 0, `${rule.meta.id} says fixable: always but emits no fix at ${where(unfixed)}`);
      if (rule.meta.fixable === 'sometimes') {
        assert.ok(fixed.length > 0, `${rule.meta.id} says fixable: sometimes but no bad fixture gets a fix`);
        assert.ok(unfixed.length > 0, `${rule.meta.id} says fixable: sometimes but every finding of its bad fixtures has a fix: add a fixture it cannot fix, or say always`);
      }
    });
  }
});

test('a fixable rule has a fixed fixture somewhere', () => {
  for (const rule of rules) {
    if (rule.meta.fixable === 'none') continue;
    const files = fixtureInputs(rule.meta.id).filter((f) => f.startsWith('bad'));
    // A rule whose fixes are all unsafe (no-idle-in-transaction) has only .unsafe-fixed outputs.
    const any = files.some((f) => ['fixed', 'unsafe-fixed'].some((ext) => existsSync(join(fixturesDir, 'rules', rule.meta.id, `${f}.${ext}`))));
    assert.ok(any, `${rule.meta.id} is fixable but no bad fixture has a .fixed or .unsafe-fixed output`);
  }
});

describe('applyFixes', () => {
  test('applies edits from the end so offsets stay valid', () => {
    const r = applyFixes('abcdef', [
      { title: 'a', applicability: 'safe', edits: [{ start: 1, end: 2, text: 'X' }] },
      { title: 'b', applicability: 'safe', edits: [{ start: 4, end: 4, text: 'Y' }] },
    ]);
    assert.deepEqual({ output: r.output, applied: r.applied, taken: r.taken.map((f) => f.title) }, { output: 'aXcdYef', applied: 2, taken: ['a', 'b'] });
  });
  test('skips a fix whose edits overlap an earlier one, whole', () => {
    const r = applyFixes('abcdef', [
      { title: 'a', applicability: 'safe', edits: [{ start: 1, end: 4, text: 'X' }] },
      { title: 'b', applicability: 'safe', edits: [{ start: 0, end: 0, text: 'S' }, { start: 2, end: 3, text: 'Y' }] },
    ]);
    assert.deepEqual({ output: r.output, applied: r.applied, taken: r.taken.map((f) => f.title) }, { output: 'SabYdef', applied: 1, taken: ['b'] });
  });
  test('shares an identical edit between two fixes', () => {
    const header = { start: 0, end: 0, text: '-- h\n' };
    const r = applyFixes('x y', [
      { title: 'a', applicability: 'safe', edits: [header, { start: 1, end: 1, text: '1' }] },
      { title: 'b', applicability: 'safe', edits: [header, { start: 3, end: 3, text: '2' }] },
    ]);
    assert.deepEqual({ output: r.output, applied: r.applied }, { output: '-- h\nx1 y2', applied: 2 });
    assert.deepEqual(r.edits.map((e) => e.start), [3, 1, 0], 'the shared edit is applied once');
  });
  test('two different insertions at one point conflict', () => {
    const r = applyFixes('ab', [
      { title: 'a', applicability: 'safe', edits: [{ start: 1, end: 1, text: 'X' }] },
      { title: 'b', applicability: 'safe', edits: [{ start: 1, end: 1, text: 'Y' }] },
    ]);
    assert.equal(r.applied, 1);
  });
});

describe('mapOffset', () => {
  const edits = [
    { start: 0, end: 0, text: 'SET x;\n' },
    { start: 10, end: 14, text: 'CONCURRENTLY' },
    { start: 20, end: 20, text: '!' },
  ];
  test('moves an offset by the edits before it; an insertion at the offset goes before it', () => {
    assert.equal(mapOffset(edits, 0), 7);
    assert.equal(mapOffset(edits, 5), 12);
    assert.equal(mapOffset(edits, 20), 7 + 8 + 20 + 1);
  });
  test('a replacement starting at the offset keeps it; one ending there moves it; inside one maps to its start', () => {
    assert.equal(mapOffset(edits, 10), 17);
    assert.equal(mapOffset(edits, 14), 7 + 14 + 8);
    assert.equal(mapOffset(edits, 12), 17);
  });
});

describe('a fix must hold', () => {
  test('a SET lock_timeout inserted into the transaction an index fix switches off is left out; the index fix is kept', () => {
    const text = [
      "import type { Knex } from 'knex';",
      '',
      'export async function up(knex: Knex): Promise<void> {',
      "  await knex.raw('ALTER TABLE leads ADD COLUMN region text');",
      "  await knex.raw('CREATE INDEX leads_region_idx ON leads (region)');",
      '}',
      '',
    ].join('\n');
    const r = fixText('20240101_add.ts', text, config(), { rules, unsafe: true });
    assert.equal(r.error, null);
    assert.doesNotMatch(r.output, /SET lock_timeout/, 'a SET sent through the pool once the transaction is off would not hold');
    assert.match(r.output, /knex\.raw\('DROP INDEX CONCURRENTLY IF EXISTS leads_region_idx'\);\n  await knex\.raw\('CREATE INDEX CONCURRENTLY leads_region_idx/);
    assert.match(r.output, /transaction: false/);
    // The timeout finding stays, with the advice for a pooled connection, instead of a fix that does not hold.
    const after = lint('20240101_add.ts', r.output, { rules: ['require-lock-timeout'] });
    assert.deepEqual(after.map((f) => [f.ruleId, f.fix?.applicability]), [['require-lock-timeout', 'display-only']]);
  });
});

describe('the syntax check a fix must pass (TS/JS: the syntactic diagnostics ts.transpileModule reports)', () => {
  test('a file that parses has none; a parse error, TypeScript-only syntax in a .js file, and JSX in a .ts file each have one', () => {
    assert.equal(syntaxProblem('m.ts', "export async function up(knex: Knex): Promise<void> {\n  await knex.raw('SELECT 1');\n}\n"), null);
    assert.equal(syntaxProblem('m.ts', "export async function up(knex: Knex) {\n  await knex.raw('SELECT 1';\n}\n"), "')' expected.");
    assert.equal(syntaxProblem('m.js', 'exports.up = async (knex: Knex) => {};\n'), 'Type annotations can only be used in TypeScript files.');
    assert.equal(syntaxProblem('m.js', 'exports.up = async (knex) => {};\n'), null);
    assert.equal(syntaxProblem('m.js', 'const x = <div/>;\n'), null);
    assert.equal(syntaxProblem('m.ts', 'const x = <div/>;\n'), "'>' expected.");
  });
});

describe('fix preserves the file around its edits', () => {
  const cfg = config();
  const opts = { rules, only: new Set(['require-concurrent-index-creation']), unsafe: false };
  test('CRLF line endings and a BOM survive', () => {
    const text = '\uFEFF-- keep me\r\nCREATE INDEX idx_a ON leads (a);\r\n';
    const r = fixText('m.sql', text, cfg, opts);
    assert.equal(r.output, '\uFEFF-- keep me\r\nDROP INDEX CONCURRENTLY IF EXISTS idx_a;\r\nCREATE INDEX CONCURRENTLY idx_a ON leads (a);\r\n');
  });
  test('a file that does not parse is left alone', () => {
    const text = 'CREATE INDEX idx_a ON leads (a);\nCREATE INDEX ON (;\n';
    const r = fixText('m.sql', text, cfg, opts);
    assert.equal(r.output, text);
  });
  test('the statement-timeout fix goes before the first statement, after comments', () => {
    const text = '-- migration 12\n\nALTER TABLE leads ADD COLUMN x int;\n';
    const r = fixText('m.sql', text, cfg, { rules, only: new Set(['require-lock-timeout', 'require-statement-timeout']), unsafe: false });
    assert.equal(r.output, "-- migration 12\n\nSET lock_timeout = '5s';\nSET statement_timeout = '120s';\nALTER TABLE leads ADD COLUMN x int;\n");
  });
});

describe('fixing with every rule at once never introduces a finding', () => {
  /**
   * Counts of `rule: message` in findings, without the "(and N more such statements after it)"
   * of a grouped finding: a fix that takes one statement out of the group changes N, not the finding.
   */
  const tally = (findings: { ruleId: string; message: string }[]) => {
    const m = new Map<string, number>();
    for (const f of findings) {
      const key = `${f.ruleId}: ${f.message.replace(/ \(and \d+ more such statements? after it\)/, '')}`;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    return m;
  };
  for (const rule of rules) {
    for (const file of fixtureInputs(rule.meta.id).filter((f) => f.startsWith('bad'))) {
      for (const unsafe of [false, true]) {
        test(`${rule.meta.id}/${file}${unsafe ? ' with unsafe fixes' : ''}`, () => {
          const text = readFileSync(join(fixturesDir, 'rules', rule.meta.id, file), 'utf8');
          const before = tally(lint(file, text, { config: fixtureConfig(file) }));
          const fixed = fixText(file, text, config(fixtureConfig(file)), { rules, only: null, unsafe });
          assert.equal(fixed.error, null);
          for (const [key, n] of tally(lint(file, fixed.output, { config: fixtureConfig(file) }))) {
            assert.ok(n <= (before.get(key) ?? 0), `the fixes introduced ${key}`);
          }
        });
      }
    }
  }
});

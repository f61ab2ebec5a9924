/**
 * Fail closed in the TypeScript/JavaScript frontend: nesting past its limits is
 * reported where the limit is reached (never a stack overflow, never a silent
 * pass), and an unexpected failure reaches the engine as an internal error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { NESTING_LIMIT, SYNTAX_DEPTH_LIMIT } from '../../src/sources/typescript/depth.js';
import { NodeIndex } from '../../src/sources/typescript/nodes.js';
import { openSourceFile } from '../../src/sources/typescript/project.js';
import { lint } from '../support/lint.js';
import { repoRoot } from '../support/paths.js';
import { lines, unitOf } from './support.js';

const INDEX = "await knex.raw('CREATE INDEX idx_a ON leads (a)');";

/** A knex migration whose index statement sits inside `n` nested callbacks. */
function nestedCallbacks(n: number): string {
  let body = INDEX;
  for (let i = 0; i < n; i++) body = `await step(async () => { ${body} });`;
  return lines('exports.up = async function (knex) {', `  ${body}`, '};', '');
}

/** A knex migration whose SQL string sits inside `n` nested parentheses. */
function nestedParentheses(n: number): string {
  return lines('exports.up = async function (knex) {', `  await knex.raw(${'('.repeat(n)}'CREATE INDEX idx_a ON leads (a)'${')'.repeat(n)});`, '};', '');
}

/** Rule ids and 1-based line:column of the findings, plus the unanalyzable-file messages. */
function summary(text: string) {
  const findings = lint('migration.js', text);
  return {
    ids: [...new Set(findings.map((f) => f.ruleId))].sort(),
    // The whole file goes unanalysed: the finding is at 1:1, the place of the limit is its related place.
    unanalysed: findings.filter((f) => f.ruleId === 'unanalyzable-file').map((f) => ({ file: `${f.line}:${f.column}`, at: f.related?.[0] ? position(text, f.related[0].span.start) : null, message: f.message, severity: f.severity })),
    index: findings.filter((f) => f.ruleId === 'require-concurrent-index-creation').map((f) => `${f.line}:${f.column}`),
  };
}

/** 1-based line:column of a UTF-16 offset. */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** The offset of the first bracket that opens level `level` (1-based), in a text with no brackets in strings before it. */
function opening(text: string, level: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if ('([{'.includes(text[i]!) && ++depth === level) return i;
    if (')]}'.includes(text[i]!)) depth--;
  }
  throw new Error('not nested that deeply');
}

describe('nesting depth limit (brackets)', () => {
  test('300 nested callbacks: one unanalyzable-file error for the file, naming the bracket past the limit, nothing else, no RangeError', () => {
    const text = nestedCallbacks(300);
    const s = summary(text);
    assert.deepEqual(s.ids, ['unanalyzable-file']);
    assert.equal(s.unanalysed.length, 1);
    assert.equal(s.unanalysed[0]!.severity, 'error');
    assert.equal(s.unanalysed[0]!.file, '1:1');
    assert.equal(s.unanalysed[0]!.at, position(text, opening(text, NESTING_LIMIT + 1)));
    assert.match(s.unanalysed[0]!.message, new RegExp(`nesting depth limit is ${NESTING_LIMIT}\\b`));
  });

  test('1000 nested parentheses: reported at the parenthesis past the limit', () => {
    const text = nestedParentheses(1000);
    const s = summary(text);
    assert.deepEqual(s.ids, ['unanalyzable-file']);
    assert.equal(s.unanalysed[0]!.at, position(text, opening(text, NESTING_LIMIT + 1)));
  });

  test('under the limit, the same shapes are analysed fully: the innermost statement is found', () => {
    // A nested callback opens two brackets; leave one level for knex.raw( and one for the function body.
    const callbacks = nestedCallbacks(Math.floor(NESTING_LIMIT / 2) - 2);
    const s = summary(callbacks);
    assert.deepEqual(s.unanalysed, []);
    assert.deepEqual(s.index, [position(callbacks, callbacks.indexOf("'CREATE INDEX") + 1)]);

    const parens = nestedParentheses(NESTING_LIMIT - 2);
    const p = summary(parens);
    assert.deepEqual(p.unanalysed, []);
    assert.deepEqual(p.index, [position(parens, parens.indexOf("'CREATE INDEX") + 1)]);
  });

  test('brackets inside strings, templates, comments and regular expressions do not count', () => {
    const noise = "'((((' + `[[[[${'{{'}` + /\\(\\(\\(/.source // ((((\n";
    const text = lines('exports.up = async function (knex) {', `  const noise = ${noise.repeat(NESTING_LIMIT)};`, `  ${INDEX}`, '};');
    const s = summary(text);
    assert.deepEqual(s.unanalysed, []);
    assert.equal(s.index.length, 1);
  });

  test('a file past the limit keeps its comments, so a file-level suppression still works', () => {
    const text = `// miglint-ignore-file: generated code, reviewed by hand\n${nestedCallbacks(300)}`;
    assert.deepEqual(summary(text).ids, []);
    const unit = unitOf(text, 'migration.js');
    assert.equal(unit.comments.length, 1);
    assert.equal(unit.unanalysed.length, 1);
  });
});

/** A knex migration with a chain of `n` calls before its index statement. */
const chain = (n: number) => lines('exports.up = async function (knex) {', `  const q = knex${'.where(1)'.repeat(n)};`, `  ${INDEX}`, '};');

describe('nesting depth limit (syntax tree)', () => {
  const concat = (n: number) => lines('exports.up = async function (knex) {', `  await knex.raw('CREATE INDEX idx_a ON leads (a' ${"+ ''".repeat(n)} + ')');`, '};');

  test('a call chain or a concatenation deeper than the limit is reported where the limit is reached', () => {
    for (const text of [chain(SYNTAX_DEPTH_LIMIT), concat(2 * SYNTAX_DEPTH_LIMIT)]) {
      const s = summary(text);
      assert.deepEqual(s.ids, ['unanalyzable-file']);
      assert.match(s.unanalysed[0]!.message, new RegExp(`nesting depth limit for the syntax tree is ${SYNTAX_DEPTH_LIMIT}\\b`));
      assert.match(s.unanalysed[0]!.at ?? "", /^2:/);
    }
  });

  test('within the limit they are analysed (the concatenation is one statement)', () => {
    assert.equal(summary(chain(SYNTAX_DEPTH_LIMIT / 2 - 20)).index.length, 1);
    const s = summary(concat(SYNTAX_DEPTH_LIMIT - 20));
    assert.deepEqual(s.unanalysed, []);
    assert.equal(s.index.length, 1);
  });

  test('the limit counts levels below the file: a tree exactly that deep is within it, the first node past it (in document order) is the place', () => {
    // `const v = 1;`: statement 1, declaration list 2, declaration 3, `v` and `1` 4; `a.b.c;`: statement 1, `a.b.c` 2, `a.b` 3, `a` and `b` 4.
    const open = openSourceFile('m.ts', 'const v = 1;\na.b.c;\n');
    assert.equal(new NodeIndex(open.sf, 4).deep, null);
    assert.deepEqual(new NodeIndex(open.sf, 3).deep, { offset: 6, limit: 3, what: 'syntax' });
    assert.deepEqual(new NodeIndex(open.sf, 1).deep, { offset: 0, limit: 1, what: 'syntax' });
    open.release();
  });

  test('a construct the bracket count does not see (5000 chained arrows) is reported, not thrown', () => {
    const text = lines(`const f = ${'a => '.repeat(5000)}a;`, 'exports.up = async function (knex) {', `  ${INDEX}`, '};');
    const s = summary(text);
    assert.deepEqual(s.ids, ['unanalyzable-file']);
    assert.match(s.unanalysed[0]!.message, /ran out of call stack/);
  });
});

describe('no swallowed errors', () => {
  test('a file cut off inside an import is a syntax error, not a silent pass', () => {
    const text = lines('exports.up = async function (knex) {', `  ${INDEX}`, '};', "import { Knex } from 'kn");
    const ids = lint('migration.ts', text).map((f) => f.ruleId);
    assert.ok(ids.includes('syntax-error'), ids.join());
    assert.ok(ids.includes('require-concurrent-index-creation'), ids.join());
  });

  test('the frontend throws instead of returning an empty unit when a step fails (here: the SQL parser never loaded)', () => {
    const script = `
      const { typescriptUnit } = await import(${JSON.stringify(join(repoRoot, 'dist/src/sources/typescript/index.js'))});
      const { DEFAULT_SETTINGS } = await import(${JSON.stringify(join(repoRoot, 'dist/src/core/rule.js'))});
      try { typescriptUnit('m.js', ${JSON.stringify(nestedCallbacks(1))}, DEFAULT_SETTINGS); console.log('returned'); }
      catch (e) { console.log('threw: ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.match(r.stdout, /^threw: parseSql called before initSqlParser/, r.stderr);
  });

  test('the CLI reports an exception in the frontend as internal-error at the file and exits 2', () => {
    // With a quarter of Node's stack, reading the SQL of a concatenation of 900 strings (within the limits) overflows.
    const dir = mkdtempSync(join(tmpdir(), 'miglint-limits-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'migration.js'), lines('exports.up = async function (knex) {', `  await knex.raw('CREATE INDEX idx_a ON leads (a' ${"+ ''".repeat(900)} + ')');`, '};'));
    const r = spawnSync(process.execPath, ['--stack-size=250', join(repoRoot, 'bin', 'miglint.js'), 'migration.js'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /error\[internal-error\]: Internal error while analysing this file: Maximum call stack size exceeded/);
    assert.match(r.stdout, /--> migration\.js:1:1/);
    // With the normal stack the same file is analysed.
    const normal = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), 'migration.js'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
    assert.equal(normal.status, 1, normal.stdout + normal.stderr);
    assert.match(normal.stdout, /require-concurrent-index-creation/);
  });
});

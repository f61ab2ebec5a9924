/**
 * The `directions` setting and `--directions`: findings located in the code of a direction
 * not linted are dropped (by statement and phase region), file-level ones and those saying
 * something was not analysed are kept, and `--fix` leaves the other direction alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { ConfigError, validateConfig, type ConfigFile } from '../src/config/index.js';
import { lintText, phaseAt } from '../src/lint/engine.js';
import { fixText } from '../src/lint/fix.js';
import { loadUnit } from '../src/sources/index.js';
import { config, lint } from './support/lint.js';
import { miglintIn } from './support/cli.js';

const INDEX_RULES = ['require-concurrent-index-creation', 'require-concurrent-index-deletion'];

/** A knex migration without its transaction: a plain CREATE INDEX in `up` (line 4), a plain DROP INDEX in `down` (line 8). */
const KNEX = [
  'export const config = { transaction: false };',
  '',
  'export async function up(knex) {',
  "  await knex.raw('CREATE INDEX idx_a ON leads (a)');",
  '}',
  '',
  'export async function down(knex) {',
  "  await knex.raw('DROP INDEX idx_a');",
  '}',
  '',
].join('\n');

const found = (name: string, text: string, cfg: ConfigFile, only = INDEX_RULES) => lint(name, text, { rules: only, config: cfg }).map((f) => `${f.line} ${f.ruleId}`);

describe('directions', () => {
  test('both by default; ["up"] drops what is in down(); ["down"] what is in up()', () => {
    assert.deepEqual(found('m.ts', KNEX, {}), ['4 require-concurrent-index-creation', '8 require-concurrent-index-deletion']);
    assert.deepEqual(found('m.ts', KNEX, { directions: ['up', 'down'] }), ['4 require-concurrent-index-creation', '8 require-concurrent-index-deletion']);
    assert.deepEqual(found('m.ts', KNEX, { directions: ['up'] }), ['4 require-concurrent-index-creation']);
    assert.deepEqual(found('m.ts', KNEX, { directions: ['down'] }), ['8 require-concurrent-index-deletion']);
  });

  test('SQL: statements of a -- migrate:down section are down', () => {
    const sql = '-- migrate:up\nCREATE INDEX idx_a ON leads (a);\n\n-- migrate:down\nDROP INDEX idx_a;\n';
    assert.deepEqual(found('m.sql', sql, { sqlRunner: 'dbmate' }), ['2 require-concurrent-index-creation', '5 require-concurrent-index-deletion']);
    assert.deepEqual(found('m.sql', sql, { sqlRunner: 'dbmate', directions: ['up'] }), ['2 require-concurrent-index-creation']);
    assert.deepEqual(found('m.sql', sql, { sqlRunner: 'dbmate', directions: ['down'] }), ['5 require-concurrent-index-deletion']);
  });

  test('what says the file was not analysed is kept, even inside a direction not linted', () => {
    const broken = KNEX.replace("  await knex.raw('DROP INDEX idx_a');", "  await knex.raw('DROP INDEX idx_a');\n  if (x {");
    const r = lint('m.ts', broken, { rules: INDEX_RULES, config: { directions: ['up'] } });
    assert.deepEqual(r.map((f) => `${f.line} ${f.ruleId}`), ['4 require-concurrent-index-creation', '9 syntax-error']);
  });

  test('a suppression is applied before the filter: one used in the dropped direction is not reported unused', () => {
    const fileLevel = `// miglint-ignore-file require-concurrent-index-deletion\n${KNEX}`;
    assert.deepEqual(found('m.ts', fileLevel, { directions: ['up'] }, []), found('m.ts', KNEX, { directions: ['up'] }, []));
    assert.ok(!lint('m.ts', fileLevel, { config: { directions: ['up'] } }).some((f) => f.ruleId === 'unused-suppression'));
    const inDown = KNEX.replace("  await knex.raw('DROP INDEX idx_a');", "  // miglint-ignore require-lock-timeout\n  await knex.raw('DROP INDEX idx_a');");
    assert.ok(lint('m.ts', inDown, { config: { directions: ['down'] } }).every((f) => f.ruleId !== 'unused-suppression'));
    // The same suppression, unused and inside the direction linted, is reported.
    const unused = KNEX.replace("  await knex.raw('DROP INDEX idx_a');", "  // miglint-ignore ban-uncommitted-transaction\n  await knex.raw('DROP INDEX idx_a');");
    assert.deepEqual(lint('m.ts', unused, { config: { directions: ['down'] } }).filter((f) => f.ruleId === 'unused-suppression').map((f) => f.line), [8]);
    assert.deepEqual(lint('m.ts', unused, { config: { directions: ['up'] } }).filter((f) => f.ruleId === 'unused-suppression').map((f) => f.line), []);
  });

  test('an engine option (--directions) overrides the configuration', () => {
    const r = lintText('m.ts', KNEX, config({ directions: ['down'] }), { rules, only: new Set(INDEX_RULES), directions: new Set(['up'] as const) });
    assert.deepEqual(r.findings.map((f) => `${f.line} ${f.ruleId}`), ['4 require-concurrent-index-creation']);
  });

  test('--fix applies no fix to a finding of a direction not linted', () => {
    const opts = { rules, only: new Set(INDEX_RULES), unsafe: false };
    const upOnly = fixText('m.ts', KNEX, config({ directions: ['up'] }), opts).output;
    assert.match(upOnly, /up\(knex\) \{\n  await knex\.raw\('DROP INDEX CONCURRENTLY IF EXISTS idx_a'\);\n  await knex\.raw\('CREATE INDEX CONCURRENTLY idx_a/);
    assert.match(upOnly, /down\(knex\) \{\n  await knex\.raw\('DROP INDEX idx_a'\)/, 'down() is left as it was');
    const both = fixText('m.ts', KNEX, config(), opts).output;
    assert.match(both, /down\(knex\) \{\n  await knex\.raw\('DROP INDEX CONCURRENTLY IF EXISTS idx_a'\)/);
  });
});

describe('phaseAt: the direction of a location, on a unit built here', () => {
  // A `.sql` down migration as a frontend marks it: the whole file is a `down` region, and
  // a statement inside it says `up` (as a frontend might for a section): the innermost wins.
  const text = 'CREATE INDEX a ON t (x);\nDROP INDEX b;\n';
  const unit = loadUnit('m.sql', text, config().settings);
  unit.phaseRegions = [{ phase: 'down', span: { start: 0, end: text.length - 1 } }];
  unit.statements[0]!.phase = 'up';
  unit.statements[1]!.phase = 'down';
  test('the innermost statement or region holding the start decides', () => {
    assert.equal(phaseAt(unit, { start: 3, end: 4 }), 'up');
    assert.equal(phaseAt(unit, { start: text.indexOf('DROP'), end: text.length }), 'down');
    assert.equal(phaseAt(unit, { start: text.indexOf('\nDROP'), end: text.indexOf('\nDROP') + 1 }), 'down', 'between statements: the region');
  });
  test('a statement nested in another (a DO block\'s body) is found, and so is the outer one after it', () => {
    const nested = { ...unit, phaseRegions: [], statements: [
      { ...unit.statements[0]!, phase: 'down' as const, span: { start: 0, end: 50 } },
      { ...unit.statements[0]!, phase: 'up' as const, span: { start: 10, end: 20 } },
      { ...unit.statements[0]!, phase: 'up' as const, span: { start: 60, end: 70 } },
    ] };
    assert.deepEqual([5, 15, 30, 55, 65].map((start) => phaseAt(nested, { start, end: start + 1 })), ['down', 'up', 'down', null, 'up']);
  });
  test('outside every region and statement: none (file-level, always kept)', () => {
    assert.equal(phaseAt(unit, { start: text.length, end: text.length }), null);
    assert.equal(phaseAt({ ...unit, phaseRegions: [], statements: [] }, { start: 0, end: 0 }), null);
  });
});

describe('the directions and maxFileSize settings are validated', () => {
  const rejects = (data: unknown, key: RegExp) => assert.rejects(validateConfig(data, 'x.json'), (e: Error) => e instanceof ConfigError && key.test(e.message));
  test('directions: a non-empty list of up, down', async () => {
    await rejects({ directions: [] }, /directions: at least one of "up", "down"/);
    await rejects({ directions: ['sideways'] }, /directions\.0/);
    await rejects({ directions: 'up' }, /directions/);
    assert.deepEqual((await validateConfig({ directions: ['down'] }, 'x.json')).directions, ['down']);
  });
  test('maxFileSize: a whole number of bytes, more than 0', async () => {
    await rejects({ maxFileSize: 0 }, /maxFileSize/);
    await rejects({ maxFileSize: 1.5 }, /maxFileSize/);
    await rejects({ maxFileSize: '50MB' }, /maxFileSize/);
    assert.equal(config({}).maxFileSize, 50 * 1024 * 1024);
  });
});

test('the CLI: --directions up overrides "directions": ["down"] in the configuration', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-dir-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ miglint: { directions: ['down'] } }));
  writeFileSync(join(dir, '20240101_m.ts'), KNEX);
  const run = async (args: string[]) => {
    const r = await miglintIn(['--format', 'json', '--rule', INDEX_RULES.join(','), ...args, '.'], dir);
    return (JSON.parse(r.stdout) as { messages: { ruleId: string; line: number }[] }[]).flatMap((f) => f.messages.map((m) => `${m.line} ${m.ruleId}`));
  };
  assert.deepEqual(await run([]), ['8 require-concurrent-index-deletion']);
  assert.deepEqual(await run(['--directions', 'up']), ['4 require-concurrent-index-creation']);
  assert.deepEqual(await run(['--directions', 'up,down']), ['4 require-concurrent-index-creation', '8 require-concurrent-index-deletion']);
});

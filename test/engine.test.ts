/** Engine behaviour: suppressions, severities, configuration, reporters. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, ConfigLoader, validateConfig } from '../src/config/index.js';
import { SourceText } from '../src/core/source-text.js';
import { json } from '../src/report/json.js';
import { github, gitlab, sarif } from '../src/report/machine.js';
import { initSqlParser } from '../src/sql/parse.js';
import { knownRules, lint } from './support/lint.js';

await initSqlParser();

const INDEX = 'CREATE INDEX idx_a ON leads (a);';

describe('suppressions', () => {
  const only = { rules: ['require-concurrent-index-creation'] };
  test('next-statement suppression with a reason', () => {
    const text = `-- miglint-ignore require-concurrent-index-creation: leads is tiny\n${INDEX}\n${INDEX.replace('idx_a', 'idx_b')}`;
    const findings = lint('m.sql', text, only);
    assert.deepEqual(findings.map((f) => f.line), [3]);
  });
  test('a suppression covers a multi-line statement', () => {
    const text = `-- miglint-ignore require-concurrent-index-creation\nCREATE INDEX idx_a\n  ON leads (a);`;
    assert.deepEqual(lint('m.sql', text, only), []);
  });
  test('file-level suppression, for one rule or all', () => {
    assert.deepEqual(lint('m.sql', `-- miglint-ignore-file require-concurrent-index-creation\n\n${INDEX}`, only), []);
    assert.deepEqual(lint('m.sql', `/* miglint-ignore-file */\n${INDEX}`), []);
  });
  test('an unused suppression is reported as a warning', () => {
    const findings = lint('m.sql', `-- miglint-ignore require-lock-timeout\nSELECT 1;`);
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.line]), [['unused-suppression', 'warning', 1]]);
  });
  test('a suppression naming an unknown rule is reported', () => {
    const findings = lint('m.sql', `-- miglint-ignore no-such-rule\n${INDEX}`, {});
    assert.ok(findings.some((f) => f.ruleId === 'unused-suppression' && /Unknown rule `no-such-rule`/.test(f.message)));
  });
  test("squawk's ignore comments are honoured, its ids mapped, and never reported as unused or unknown", () => {
    const timeouts = 'ALTER TABLE leads ADD COLUMN x int;';
    assert.deepEqual(lint('m.sql', `-- squawk-ignore require-timeout-settings\n${timeouts}`), []);
    // The timeout rules report the first statement with no timeout in force: the suppressed one.
    assert.deepEqual(lint('m.sql', `-- squawk-ignore require-concurrent-index-creation, require-timeout-settings, prefer-robust-stmts\n${INDEX}\n${INDEX}`).map((f) => [f.ruleId, f.line]), [['require-concurrent-index-creation', 3]]);
    assert.deepEqual(lint('m.sql', `-- squawk-ignore-file\n${INDEX}`), []);
    assert.deepEqual(lint('m.sql', `-- squawk-ignore-file require-timeout-settings\n${INDEX}`).map((f) => f.ruleId), ['require-concurrent-index-creation']);
    assert.deepEqual(lint('m.sql', `-- squawk-ignore ban-char-field, some-future-rule\nSELECT 1;`), []);
  });
  test("the engine's own unanalyzable-file is a rule id a suppression may name (unused here, not unknown)", () => {
    const findings = lint('m.sql', `-- miglint-ignore unanalyzable-file\nSELECT 1;`, {});
    assert.deepEqual(findings.map((f) => f.message), ['Unused miglint-ignore for unanalyzable-file: nothing here is reported.']);
  });
  test('every suppression that covers a finding is used, not only the first', () => {
    const text = `/* miglint-ignore-file */\n-- miglint-ignore require-concurrent-index-creation\n${INDEX}`;
    assert.deepEqual(lint('m.sql', text), []);
  });
  test('a syntax error is never suppressed', () => {
    const findings = lint('m.sql', `/* miglint-ignore-file */\n-- miglint-ignore syntax-error\nSELEC 1;`);
    // Kept, and the comments that would have covered it are unused.
    assert.deepEqual(findings.map((f) => f.ruleId), ['unused-suppression', 'unused-suppression', 'syntax-error']);
  });
  test('a suppression for another rule does not hide this one', () => {
    const findings = lint('m.sql', `-- miglint-ignore require-lock-timeout\n${INDEX}`, only);
    assert.deepEqual(findings.map((f) => f.ruleId), ['require-concurrent-index-creation']);
  });
});

describe('configuration', () => {
  test('severities: off, warn, numeric', () => {
    const off = lint('m.sql', INDEX, { config: { rules: { 'require-concurrent-index-creation': 'off', 'require-lock-timeout': 1, 'require-statement-timeout': ['warn', {}] } } });
    assert.deepEqual(off.map((f) => `${f.ruleId}:${f.severity}`), ['require-lock-timeout:warning', 'require-statement-timeout:warning']);
  });
  test('runtime: migrun turns the timeout rules off in effect', () => {
    const findings = lint('m.sql', 'ALTER TABLE leads ADD COLUMN x int;', { config: { runtime: 'migrun' } });
    assert.deepEqual(findings, []);
  });
  test('invalid configuration is a clear error naming the key', async () => {
    await assert.rejects(validateConfig({ sqlRunner: 'liquibase', lockTimeout: 'soon' }, 'x.json'), (e: Error) => e instanceof ConfigError && /sqlRunner/.test(e.message) && /lockTimeout/.test(e.message));
    await assert.rejects(validateConfig({ rulez: {} }, 'x.json'), ConfigError);
  });
  test('the loader finds the nearest config walking up, and rejects unknown rules', async () => {
    const root = mkdtempSync(join(tmpdir(), 'miglint-cfg-'));
    writeFileSync(join(root, 'package.json'), '{}');
    writeFileSync(join(root, '.miglintrc.json'), JSON.stringify({ sqlRunner: 'dbmate', lockTimeout: '2s' }));
    mkdirSync(join(root, 'db', 'migrations'), { recursive: true });
    const loader = new ConfigLoader(knownRules);
    const cfg = await loader.forFile(join(root, 'db', 'migrations', '0001.sql'));
    assert.equal(cfg.settings.sqlRunner, 'dbmate');
    assert.equal(cfg.settings.lockTimeout, '2s');
    writeFileSync(join(root, 'bad.json'), JSON.stringify({ rules: { 'no-such-rule': 'error' } }));
    await assert.rejects(new ConfigLoader(knownRules, join(root, 'bad.json')).forFile(join(root, 'x.sql')), /unknown rule "no-such-rule"/);
  });
});

describe('reporters', () => {
  const text = `-- 🎉\n${INDEX}\n`;
  const findings = lint('m.sql', text, { rules: ['require-concurrent-index-creation'] });
  const files = [{ path: '/abs/m.sql', displayPath: 'db/m.sql', source: new SourceText(text), findings }];
  const ctx = { rules: [{ id: 'require-concurrent-index-creation', description: 'd', docsUrl: 'file:///x.md' }], version: '1.2.3' };

  test('json is ESLint\'s shape with 1-based UTF-16 positions and the fix', () => {
    const out = JSON.parse(json(files, ctx));
    assert.equal(out[0].filePath, '/abs/m.sql');
    assert.equal(out[0].errorCount, 1);
    assert.equal(out[0].fixableErrorCount, 1);
    const m = out[0].messages[0];
    assert.deepEqual([m.ruleId, m.severity, m.line, m.column, m.endLine, m.endColumn], ['require-concurrent-index-creation', 2, 2, 1, 2, INDEX.length]);
    // Two edits (the drop of an INVALID leftover on its own line, CONCURRENTLY in the statement), merged into ESLint's one range.
    const line = text.indexOf('CREATE');
    assert.deepEqual(m.fix.edits, [
      { range: [line, line], text: 'DROP INDEX CONCURRENTLY IF EXISTS idx_a;\n' },
      { range: [line + 12, line + 12], text: ' CONCURRENTLY' },
    ]);
    assert.deepEqual(m.fix.range, [line, line + 12]);
    assert.equal(m.fix.text, 'DROP INDEX CONCURRENTLY IF EXISTS idx_a;\nCREATE INDEX CONCURRENTLY');
    assert.equal(m.fix.applicability, 'safe');
  });
  test('sarif 2.1.0 with rule metadata and regions', () => {
    const log = JSON.parse(sarif(files, ctx));
    assert.equal(log.version, '2.1.0');
    const run = log.runs[0];
    assert.equal(run.tool.driver.name, 'miglint');
    assert.equal(run.tool.driver.rules[0].id, 'require-concurrent-index-creation');
    assert.deepEqual(run.results[0].locations[0].physicalLocation.region, { startLine: 2, startColumn: 1, endLine: 2, endColumn: INDEX.length });
    assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'db/m.sql');
  });
  test('github annotations escape their data', () => {
    const out = github(files, ctx);
    assert.match(out, /^::error file=db\/m\.sql,line=2,col=1,endLine=2,endColumn=\d+,title=miglint%3A require-concurrent-index-creation::CREATE INDEX/);
    assert.ok(!out.trimEnd().includes('\n'), 'one line per finding: newlines are escaped');
  });
  test('gitlab code quality', () => {
    const out = JSON.parse(gitlab(files, ctx));
    assert.equal(out[0].check_name, 'require-concurrent-index-creation');
    assert.equal(out[0].location.lines.begin, 2);
    assert.match(out[0].fingerprint, /^[0-9a-f]{64}$/);
  });
});

describe('files that do not parse', () => {
  test('a TS/JS migration the TypeScript parser rejects is a syntax-error at its place; what came before is still checked', () => {
    const text = "exports.up = async (knex) => {\n  await knex.raw('CREATE INDEX idx_a ON leads (a)');\n  if (x {\n};\n";
    const found = lint('m.js', text, { rules: ['require-concurrent-index-creation'] });
    assert.deepEqual(
      found.map((f) => `${f.ruleId}@${f.line}:${f.column} ${f.message}`),
      ['require-concurrent-index-creation@2:19 CREATE INDEX on existing table "leads" without CONCURRENTLY.', "syntax-error@3:9 Syntax error: ')' expected (TS1005)."],
    );
    assert.match(found[1]!.help ?? '', /^Fix the code/);
  });
  test('an empty SQL migration is not an error', () => {
    assert.deepEqual(lint('m.sql', ''), []);
    assert.deepEqual(lint('m.sql', '\n  \n'), []);
  });
});

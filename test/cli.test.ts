/** `miglint` end to end, as a user runs it: exit codes, formats, --fix, --fix-dry-run, stdin. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');

function miglint(args: string[], cwd: string, input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-cli-'));
  writeFileSync(join(dir, 'package.json'), '{}');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const BAD = '-- 🎉 שלום\nCREATE INDEX idx_a ON leads (a);\n';
const GOOD = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON leads (a);\n";

describe('miglint CLI', () => {
  test('exit 0 and a clean summary when nothing is wrong', () => {
    const r = miglint(['.'], project({ '0001.sql': GOOD }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No problems in 1 file/);
  });
  test('exit 1 with file:line:column when a rule fires; a syntax error does not stop the other files', () => {
    const r = miglint(['.'], project({ '0001.sql': BAD, '0002.sql': 'SELECT 1;\nCREATE INDEX ON (;\n' }));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /error\[require-concurrent-index-creation\]: CREATE INDEX on existing table "leads" without CONCURRENTLY\.\n +--> 0001\.sql:2:1\n/);
    assert.match(r.stdout, /error\[syntax-error\]: Syntax error at or near "\("\.\n +--> 0002\.sql:2:17\n/);
    assert.doesNotMatch(r.stdout + r.stderr, /at .*\.js:\d+/, 'no stack trace');
  });
  test('usage and configuration errors exit 2', () => {
    const dir = project({ '0001.sql': GOOD, '.miglintrc.json': '{"sqlRunner": "nope"}' });
    const bad = miglint(['.'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid configuration .*\n {2}sqlRunner/);
    assert.equal(miglint(['--no-such-flag'], dir).code, 2);
    assert.equal(miglint(['missing/*.sql'], project({})).code, 2);
    assert.equal(miglint(['--rule', 'no-such-rule', '.'], project({})).code, 2);
  });
  test('--format json is ESLint\'s shape', () => {
    const r = miglint(['--format', 'json', '0001.sql'], project({ '0001.sql': BAD }));
    const out = JSON.parse(r.stdout);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].messages.map((m: { ruleId: string; line: number; column: number }) => `${m.ruleId}@${m.line}:${m.column}`).sort(), [
      'require-concurrent-index-creation@2:1',
      'require-lock-timeout@2:1',
      'require-statement-timeout@2:1',
    ]);
  });
  test('--fix-dry-run prints a diff and writes nothing; --fix writes and reports what is left', () => {
    const dir = project({ '0001.sql': BAD });
    const dry = miglint(['--fix-dry-run', '--rule', 'require-concurrent-index-creation', '.'], dir);
    assert.match(dry.stdout, /-CREATE INDEX idx_a ON leads \(a\);\n\+CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON leads \(a\);/);
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), BAD);
    const fix = miglint(['--fix', '.'], dir);
    assert.equal(fix.code, 0, fix.stdout);
    // Once the build is concurrent it blocks no writes, so no statement_timeout is needed any more.
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), "-- 🎉 שלום\nSET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS idx_a ON leads (a);\n");
    assert.match(fix.stdout, /2 fixes applied/);
  });
  test('--fix-type applies only the fixes of those categories and still reports everything', () => {
    const dir = project({ '0001.sql': BAD });
    const r = miglint(['--fix', '--fix-type', 'timeouts', '.'], dir);
    assert.equal(r.code, 1);
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), "-- 🎉 שלום\nSET lock_timeout = '5s';\nSET statement_timeout = '120s';\nCREATE INDEX idx_a ON leads (a);\n");
    assert.match(r.stdout, /error\[require-concurrent-index-creation\]/);
    assert.equal(miglint(['--fix', '--fix-type', 'cosmetic', '.'], dir).code, 2);
  });
  test('--stdin lints text for an editor and never writes', () => {
    const r = miglint(['--stdin', '--stdin-filename', 'db/0001.sql', '--format', 'json'], project({}), BAD);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout)[0].messages.length, 3);
  });
  test('--list-rules lists every rule', () => {
    const r = miglint(['--list-rules'], project({}));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /require-concurrent-index-creation +fix +CREATE INDEX on an existing table/);
  });
});

/**
 * `miglint` end to end, as a user runs it: exit codes, formats, --fix, --fix-dry-run, stdin,
 * option values, and what it does not read (unsupported kinds, special files, oversized files,
 * invalid UTF-8), each a located finding rather than a silent pass.
 *
 * `miglint()` runs bin/miglint.js in a child process: kept for each exit code and where a hang
 * must be a failure (a FIFO); `miglintIn()` runs the same entry point (`main`) in this process,
 * for the many calls that test what the CLI does rather than its process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { miglintIn } from './support/cli.js';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');

function miglint(args: string[], cwd: string, input?: string | Buffer) {
  // The timeout turns a hang (a FIFO read) into a failure rather than a stuck suite.
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function project(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-cli-'));
  writeFileSync(join(dir, 'package.json'), '{}');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The JSON report's messages as `ruleId@line:column`, over all files. */
function jsonFindings(stdout: string): string[] {
  return (JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; line: number; column: number }[] }[]).flatMap((f) => f.messages.map((m) => `${m.ruleId}@${m.line}:${m.column}`));
}

/** The JSON report's messages of `ruleId`, with their texts. */
function jsonMessages(stdout: string, ruleId: string): { line: number; column: number; message: string; fix?: unknown; suggestions?: { applicability: string }[] }[] {
  return (JSON.parse(stdout) as { messages: { ruleId: string; line: number; column: number; message: string }[] }[]).flatMap((f) => f.messages.filter((m) => m.ruleId === ruleId));
}

const BAD = '-- 🎉 שלום\nCREATE INDEX idx_a ON leads (a);\n';
const GOOD = "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY IF EXISTS idx_a;\nCREATE INDEX CONCURRENTLY idx_a ON leads (a);\n";

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
  test('usage and configuration errors exit 2', async () => {
    const dir = project({ '0001.sql': GOOD, '.miglintrc.json': '{"sqlRunner": "nope"}' });
    const bad = miglint(['.'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid configuration .*\n {2}sqlRunner/);
    assert.equal(miglint(['--no-such-flag'], dir).code, 2);
    assert.equal((await miglintIn(['missing/*.sql'], project({}))).code, 2);
    assert.equal((await miglintIn(['--rule', 'no-such-rule', '.'], project({}))).code, 2);
  });
  test('--format json is ESLint\'s shape', async () => {
    const r = await miglintIn(['--format', 'json', '0001.sql'], project({ '0001.sql': BAD }));
    const out = JSON.parse(r.stdout);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0].messages.map((m: { ruleId: string; line: number; column: number }) => `${m.ruleId}@${m.line}:${m.column}`).sort(), [
      'require-concurrent-index-creation@2:1',
      'require-lock-timeout@2:1',
      'require-statement-timeout@2:1',
    ]);
  });
  test('--fix-dry-run prints a diff and writes nothing; --fix writes and reports what is left', async () => {
    const dir = project({ '0001.sql': BAD });
    const dry = await miglintIn(['--fix-dry-run', '--rule', 'require-concurrent-index-creation', '.'], dir);
    assert.match(dry.stdout, /-CREATE INDEX idx_a ON leads \(a\);\n\+DROP INDEX CONCURRENTLY IF EXISTS idx_a;\n\+CREATE INDEX CONCURRENTLY idx_a ON leads \(a\);/);
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), BAD);
    const fix = await miglintIn(['--fix', '.'], dir);
    assert.equal(fix.code, 0, fix.stdout);
    // Once the build is concurrent it blocks no writes, so neither timeout is asked for any more (the SET the
    // timeout fix would insert at the same place as the drop waits for the next pass, and is then not needed).
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), "-- 🎉 שלום\nDROP INDEX CONCURRENTLY IF EXISTS idx_a;\nCREATE INDEX CONCURRENTLY idx_a ON leads (a);\n");
    assert.match(fix.stdout, /1 fix applied/);
  });
  test('--fix-type applies only the fixes of those categories and still reports everything', async () => {
    const dir = project({ '0001.sql': BAD });
    const r = await miglintIn(['--fix', '--fix-type', 'timeouts', '.'], dir);
    assert.equal(r.code, 1);
    assert.equal(readFileSync(join(dir, '0001.sql'), 'utf8'), "-- 🎉 שלום\nSET lock_timeout = '5s';\nSET statement_timeout = '120s';\nCREATE INDEX idx_a ON leads (a);\n");
    assert.match(r.stdout, /error\[require-concurrent-index-creation\]/);
    assert.equal((await miglintIn(['--fix', '--fix-type', 'cosmetic', '.'], dir)).code, 2);
  });
  test('--stdin lints text for an editor and never writes', async () => {
    const r = await miglintIn(['--stdin', '--stdin-filename', 'db/0001.sql', '--format', 'json'], project({}), BAD);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout)[0].messages.length, 3);
  });
  test('--list-rules lists every rule', async () => {
    const r = await miglintIn(['--list-rules'], project({}));
    assert.equal(r.code, 0);
    assert.match(r.stdout, /require-concurrent-index-creation +on +sometimes +CREATE INDEX on an existing table/);
    assert.match(r.stdout, /unanalyzable-statement +warn +- +/);
  });
});

describe('invalid option values are usage errors (exit 2) with a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['--max-warnings', 'abc'], /option '--max-warnings <n>' argument 'abc' is invalid\. expected a whole number, 0 or more/],
    [['--max-warnings', '-1'], /argument '-1' is invalid/],
    [['--max-warnings', '1.5'], /argument '1\.5' is invalid/],
    [['--format', 'xml'], /argument 'xml' is invalid\. Allowed choices are stylish, json/],
    [['--fix', '--fix-type', 'cosmetic'], /argument 'cosmetic' is invalid\. "cosmetic" is not a rule category \(one of locking, timeouts, transactions, error-handling/],
    [['--fix', '--fix-type', 'timeouts,'], /an empty item is not a rule category/],
    [['--directions', 'sideways'], /argument 'sideways' is invalid\. "sideways" is not a direction \(one of up, down/],
    [['--rule', 'no-such-rule'], /"no-such-rule" is not a rule id \(see --list-rules\)/],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const r = await miglintIn([...args, '.'], project({ '0001.sql': GOOD }));
      assert.equal(r.code, 2, r.stdout);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', 'no report');
    });
  }
  test('valid values still work: --max-warnings 0 fails on a warning, 3 does not', async () => {
    const dir = project({ '0001.sql': BAD, '.miglintrc.json': JSON.stringify({ rules: { 'require-concurrent-index-creation': 'warn', 'require-lock-timeout': 'off', 'require-statement-timeout': 'off' } }) });
    assert.equal((await miglintIn(['--max-warnings', '0', '.'], dir)).code, 1);
    assert.equal((await miglintIn(['--max-warnings', '3', '.'], dir)).code, 0);
    assert.equal((await miglintIn(['--rule', 'require-lock-timeout,require-statement-timeout', '--fix-type', 'timeouts', '--fix-dry-run', '.'], dir)).code, 0);
  });
});

describe('what miglint does not read is reported, never a silent pass', () => {
  const PY = 'class AddIndex < ActiveRecord::Migration[7.1]\n  def change\n    add_index :t, :a\n  end\nend\n';
  test('a file of a kind miglint does not read, named explicitly: unanalyzable-file at 1:1 naming the extension', async () => {
    const r = await miglintIn(['--format', 'json', '0042_x.rb'], project({ '0042_x.rb': PY }));
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(jsonFindings(r.stdout), ['unanalyzable-file@1:1'], 'no bogus syntax-error');
    assert.match(jsonMessages(r.stdout, 'unanalyzable-file')[0]!.message, /^Unsupported file type: miglint does not read \.rb files \(it reads \.sql, \.ts, \.mts, \.cts, \.js, \.mjs, \.cjs, \.py\); nothing in this file was analysed\.$/);
  });
  test('the same through --stdin-filename', async () => {
    const r = await miglintIn(['--stdin', '--stdin-filename', 'db/versions/0042_x.rb', '--format', 'json'], project({}), PY);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(jsonFindings(r.stdout), ['unanalyzable-file@1:1']);
  });
  test('in a directory walk such files are skipped', async () => {
    const r = await miglintIn(['.'], project({ '0001.sql': GOOD, '0042_x.rb': PY }));
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /No problems in 1 file/);
  });
  test('a FIFO named *.sql: explicitly named, a finding and no hang; walked, skipped (said with --debug)', () => {
    const dir = project({ '0001.sql': GOOD });
    execFileSync('mkfifo', [join(dir, '0002.sql')]);
    const named = miglint(['--format', 'json', '0002.sql', '0001.sql'], dir);
    assert.equal(named.code, 1, named.stderr);
    assert.deepEqual(jsonFindings(named.stdout), ['unanalyzable-file@1:1']);
    assert.match(jsonMessages(named.stdout, 'unanalyzable-file')[0]!.message, /^This is a FIFO \(named pipe\), not a regular file: it was not read/);
    const walked = miglint(['--debug', '.'], dir);
    assert.equal(walked.code, 0, walked.stdout + walked.stderr);
    assert.match(walked.stdout, /No problems in 1 file/);
    assert.match(walked.stderr, /^miglint: debug: 0002\.sql: skipped: a FIFO \(named pipe\), not a regular file$/m);
  });
  test('a file over maxFileSize is not read: unanalyzable-file', async () => {
    const dir = project({ '0001.sql': BAD, '0002.sql': GOOD, '.miglintrc.json': JSON.stringify({ maxFileSize: 40 }) });
    const r = await miglintIn(['--format', 'json', '.'], dir);
    assert.equal(r.code, 1);
    // 0001.sql (53 bytes) is over 40 bytes: none of its findings, only the refusal; 0002.sql (85 bytes) too.
    assert.deepEqual(jsonFindings(r.stdout), ['unanalyzable-file@1:1', 'unanalyzable-file@1:1']);
    assert.match(jsonMessages(r.stdout, 'unanalyzable-file')[0]!.message, /^This file is \d+ bytes, over the maxFileSize limit of 40 bytes: it was not read/);
    assert.equal((await miglintIn(['.'], project({ '0002.sql': GOOD, '.miglintrc.json': JSON.stringify({ maxFileSize: 1000 }) }))).code, 0);
  });
  test('standard input over maxFileSize is refused too', async () => {
    const dir = project({ '.miglintrc.json': JSON.stringify({ maxFileSize: 10 }) });
    const r = await miglintIn(['--stdin', '--stdin-filename', 'm.sql', '--format', 'json'], dir, GOOD);
    assert.deepEqual(jsonFindings(r.stdout), ['unanalyzable-file@1:1']);
  });
  test('invalid UTF-8: located at its first ill-formed byte, the rest analysed, and no fix written', async () => {
    const text = Buffer.concat([Buffer.from('-- 🎉 migration\n-- caf'), Buffer.from([0xe9]), Buffer.from('\nCREATE INDEX idx_a ON leads (a);\n')]);
    const dir = project({ '0001.sql': text });
    const r = await miglintIn(['--format', 'json', '--rule', 'require-concurrent-index-creation', '.'], dir);
    assert.equal(r.code, 1);
    assert.deepEqual(jsonFindings(r.stdout), ['unanalyzable-file@2:7', 'require-concurrent-index-creation@3:1']);
    assert.match(jsonMessages(r.stdout, 'unanalyzable-file')[0]!.message, /^Invalid UTF-8: 0xE9 \(byte 24 of the file\) is not a UTF-8 sequence; miglint read each ill-formed sequence as U\+FFFD, analysed the rest of the file, and applies no fix to it\.$/);
    const index = jsonMessages(r.stdout, 'require-concurrent-index-creation')[0]!;
    assert.equal(index.fix, undefined, 'no fix offered to apply');
    assert.equal(index.suggestions?.[0]?.applicability, 'display-only', 'shown as advice');
    const fix = await miglintIn(['--fix', '.'], dir);
    assert.equal(fix.code, 1);
    assert.deepEqual(readFileSync(join(dir, '0001.sql')), text, 'the bytes are left as they were');
  });
});

describe('a reader that stops reading', () => {
  test('`miglint ... | head`: the output past what was read is dropped, and the run ends with its exit code, not an EPIPE crash', async () => {
    // Far more output than a pipe buffers (64 KiB), so miglint is still writing when the reader closes.
    const dir = project({ '0001.sql': Array.from({ length: 3000 }, (_, i) => `CREATE INDEX i${i} ON leads (c${i});\n`).join('') });
    const child = spawn(process.execPath, [BIN, '0001.sql'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    assert.equal(stderr, '', 'nothing on standard error');
    assert.equal(code, 1, 'the exit code of a run with findings');
  });
});

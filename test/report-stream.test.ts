/**
 * Reports written as the run goes: the CLI gives each file's report to the format's writer as
 * soon as the file is linted and keeps nothing, so a run's memory does not grow with its
 * findings. What is written must be the same text as the whole report, in few large writes,
 * and a run stopped by an error mid-way must still leave a well-formed JSON document.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { main } from '../src/cli/miglint.js';
import { ConfigLoader } from '../src/config/index.js';
import { SourceText } from '../src/core/source-text.js';
import { displayPath, runFiles } from '../src/lint/run.js';
import { json, jsonStream } from '../src/report/json.js';
import { gitlab } from '../src/report/machine.js';
import { stylish, stylishStream } from '../src/report/stylish.js';
import { ReportSink } from '../src/cli/report-sink.js';
import type { FileReport } from '../src/report/types.js';
import './support/cli.js';

const BAD = 'CREATE INDEX idx_a ON leads (a);\nALTER TABLE leads ADD COLUMN b int NOT NULL DEFAULT 1;\n';
const GOOD = "SET lock_timeout = '5s';\nDROP INDEX CONCURRENTLY IF EXISTS idx_a;\n";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-stream-'));
  writeFileSync(join(dir, 'package.json'), '{}');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** `main` in this process, with every write to standard output kept apart. */
async function run(args: string[], cwd: string) {
  const writes: string[] = [];
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (writes.push(String(s)), true) },
    stderr: { write: (s: string) => ((stderr += String(s)), true) },
    stdin: Readable.from([]),
  } as unknown as Parameters<typeof main>[1];
  const code = await main(args, io, cwd);
  return { code, writes, stdout: writes.join(''), stderr };
}

function report(path: string, text: string, messages: string[]): FileReport {
  const source = new SourceText(text);
  const findings = messages.map((message, i) => ({ ruleId: 'require-lock-timeout', severity: i % 2 ? ('warning' as const) : ('error' as const), message, span: { start: 0, end: 1 }, file: path, line: 1, column: 1, endLine: 1, endColumn: 2 }));
  return { path, displayPath: path, source, findings };
}

describe('streamed reports', () => {
  test('the JSON array written entry by entry is JSON.stringify(entries, null, 2) to the byte', () => {
    const cases: FileReport[][] = [
      [],
      [report('a.sql', 'x', [])],
      [report('a.sql', 'x\ny', ['one\nline "quoted" \\ back', 'two']), report('b.sql', 'é', ['שלום 🎉']), report('c.sql', '', [])],
    ];
    for (const files of cases) {
      const streamed = json(files, { rules: [] });
      assert.equal(streamed, `${JSON.stringify(JSON.parse(streamed), null, 2)}\n`);
      assert.equal(JSON.parse(streamed).length, files.length);
      const w = jsonStream({ rules: [] });
      const pieces = files.map((f) => w.file(f));
      assert.equal(pieces.join('') + w.end({ fixedCount: 0, complete: true }), streamed);
      // GitLab's array is of findings, not files: the same writer, the same layout.
      const quality = gitlab(files, { rules: [] });
      assert.equal(quality, `${JSON.stringify(JSON.parse(quality), null, 2)}\n`);
      assert.equal(JSON.parse(quality).length, files.reduce((n, f) => n + f.findings.length, 0));
    }
  });

  test('the CLI writes the whole report in pieces of up to 64 KiB, mostly full, the same text as the reporter given every file', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 150; i++) files[`migrations/${String(i).padStart(4, '0')}_x.sql`] = BAD;
    const dir = project(files);
    const r = await run(['migrations'], dir);
    assert.equal(r.code, 1, r.stderr);
    // The same files, linted and kept, then reported whole.
    const kept = await runFiles(Object.keys(files).map((f) => join(dir, f)).sort(), new ConfigLoader(new Set(rules.map((x) => x.meta.id)), null), { cwd: dir, rules, only: null, fix: 'off', unsafeFixes: false });
    assert.equal(kept.files.length, 150);
    assert.equal(r.stdout, stylish(kept.files, { rules: [] }));
    const bytes = r.writes.map((w) => Buffer.byteLength(w));
    const total = bytes.reduce((a, b) => a + b, 0);
    assert.ok(total > 3 * 65536, `a report of ${total} bytes`);
    // Each piece is cut before a file's text that might not fit (3 bytes a code unit): about 3 KiB here.
    assert.ok(bytes.every((b) => b <= 65536) && bytes.slice(0, -1).every((b) => b >= 65536 - 16384), bytes.join(' '));
    assert.ok(r.writes.length > 1 && r.writes.length <= Math.ceil(total / (65536 - 16384)), `${r.writes.length} writes`);
    const out = join(dir, 'report.txt');
    const toFile = await run(['migrations', '--output-file', out], dir);
    assert.equal(toFile.stdout, '');
    assert.equal(readFileSync(out, 'utf8'), r.stdout);
  });

  test('runFiles with onReport hands each report over in order and keeps none', async () => {
    const dir = project({ 'm/2.sql': BAD, 'm/1.sql': GOOD, 'm/3.sql': 'SELECT (;\n' });
    const order: string[] = [];
    const paths = ['m/1.sql', 'm/2.sql', 'm/3.sql'].map((f) => join(dir, f));
    const result = await runFiles(paths, new ConfigLoader(new Set(rules.map((x) => x.meta.id)), null), { cwd: dir, rules, only: null, fix: 'off', unsafeFixes: false }, (rep) => order.push(`${rep.displayPath}:${rep.findings.length}`));
    assert.deepEqual(result.files, []);
    assert.deepEqual(order.map((o) => o.split(':')[0]), ['m/1.sql', 'm/2.sql', 'm/3.sql']);
    assert.ok(order.every((o, i) => (i === 0 ? o.endsWith(':0') : !o.endsWith(':0'))), order.join(' '));
  });

  test('a run stopped after some files: JSON stays one document of those files, stylish has no summary, an output file is left as it was', () => {
    const files = [report('a.sql', 'x', ['one']), report('b.sql', 'y', ['two', 'three'])];
    const std = (format: 'json' | 'stylish') => {
      let out = '';
      const sink = new ReportSink((format === 'json' ? jsonStream : stylishStream)({ rules: [] }), { write: (t: string) => (out += t) }, null, false);
      for (const f of files) sink.give(f);
      sink.abandon();
      return out;
    };
    assert.deepEqual((JSON.parse(std('json')) as { filePath: string }[]).map((f) => f.filePath), ['a.sql', 'b.sql']);
    const human = std('stylish');
    assert.match(human, /--> b\.sql:1:1/);
    assert.equal(human, stylish(files, { rules: [] }).replace(/✖ 3 problems[^]*$/, ''), 'everything but the summary');
    const dir = mkdtempSync(join(tmpdir(), 'miglint-stream-'));
    const out = join(dir, 'report.txt');
    writeFileSync(out, 'before');
    const toFile = new ReportSink(jsonStream({ rules: [] }), { write: () => assert.fail('nothing goes to standard output') }, out, false);
    for (const f of files) toFile.give(f);
    toFile.abandon();
    assert.equal(readFileSync(out, 'utf8'), 'before');
  });

  test('an error before any file is linted writes nothing at all', async () => {
    const dir = project({ 'a/0001.sql': BAD, 'b/.miglintrc.json': '{"sqlRunner": "nope"}', 'b/0001.sql': BAD });
    for (const args of [['--format', 'json', 'a', 'b'], ['a', 'b'], ['--format', 'json', 'missing/*.sql']]) {
      const r = await run(args, dir);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
    assert.match((await run(['a', 'b'], dir)).stderr, /invalid configuration .*\n {2}sqlRunner/);
  });

  test('a display path is the path relative to the working directory, as path.relative gives it, for every shape of path', () => {
    const segments = ['a', 'b', '.', '..', '', '.x', '..x', '...', 'c.sql'];
    let compared = 0;
    for (const cwd of ['/', '/a', '/a/b', '/a/b/', '/a/bc', '/a/b/c', '/x']) {
      for (const top of ['/a/b/', '/a/', '/ab/', '/a/bc/', '/x/']) for (const x of segments) for (const y of segments) for (const z of ['', ...segments]) {
        const file = `${top}${x}/${y}${z === '' ? '' : `/${z}`}`;
        const rel = relative(cwd, file);
        assert.equal(displayPath(cwd, file), rel.startsWith('..') ? file : rel, `${cwd} ${file}`);
        compared++;
      }
    }
    for (const cwd of ['/a', '/a/b', '/a/bc']) assert.equal(displayPath(cwd, cwd), relative(cwd, cwd), cwd);
    assert.ok(compared > 20_000);
  });
});

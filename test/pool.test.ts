/**
 * Linting on worker threads (`RunOptions.workers`, src/lint/pool.ts): the same reports in the
 * same order as on the main thread, every kind of file and finding included, and a configuration
 * error still a ConfigError.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { ConfigError, ConfigLoader } from '../src/config/index.js';
import { discoverFiles } from '../src/lint/discover.js';
import { poolSize } from '../src/lint/pool.js';
import { json } from '../src/report/json.js';
import { runFiles, type RunOptions, type RunResult } from '../src/lint/run.js';
import { fixturesDir, repoRoot } from './support/paths.js';

const known = new Set(rules.map((r) => r.meta.id));
const options = (cwd: string, workers: RunOptions['workers']): RunOptions => ({ cwd, rules, only: null, fix: 'off', unsafeFixes: false, workers });

/** What a reporter sees of a result, as comparable data. */
const view = (r: RunResult) => ({
  files: r.files.map((f) => ({ path: f.path, displayPath: f.displayPath, text: f.source.text, lines: f.source.positionAt(f.source.text.length), findings: f.findings })),
  internalErrors: r.internalErrors,
  fixErrors: r.fixErrors,
});

describe('worker pool', () => {
  test('the example projects give the same reports, in the same order, on 2 workers as on the main thread', async () => {
    const dir = join(fixturesDir, 'projects');
    // A file that does not parse and one no frontend reads belong to every run too.
    const extra = mkdtempSync(join(tmpdir(), 'miglint-pool-'));
    writeFileSync(join(extra, '001_broken.sql'), 'CREATE TABLEE x ();\n');
    writeFileSync(join(extra, 'notes.txt'), 'not a migration\n');
    const files = [...(await discoverFiles([dir], dir)), join(extra, '001_broken.sql'), join(extra, 'notes.txt')];
    assert.ok(files.length > 32, 'more files than one batch, so both workers lint some');
    const serial = await runFiles(files, new ConfigLoader(known), options(dir, 0));
    const pooled = await runFiles(files, new ConfigLoader(known), options(dir, 2));
    assert.ok(serial.files.some((f) => f.findings.some((x) => x.fix)), 'some finding carries a fix');
    assert.ok(serial.files.some((f) => f.findings.some((x) => x.ruleId === 'syntax-error')));
    assert.deepEqual(view(pooled), view(serial));
  });

  test('the CLI with MIGLINT_WORKERS=2 prints the report of a run on the main thread and exits 1', async () => {
    const pooled = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--format', 'json', 'fixtures/projects'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, MIGLINT_WORKERS: '2' } });
    const files = await discoverFiles([join(repoRoot, 'fixtures', 'projects')], repoRoot);
    const serial = await runFiles(files, new ConfigLoader(known), options(repoRoot, 0));
    assert.equal(pooled.status, 1, pooled.stderr);
    assert.ok(serial.files.length > 32, 'more files than one batch');
    assert.equal(pooled.stdout, json(serial.files, { rules: [] }));
  });

  test('an invalid configuration is a ConfigError from a worker too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miglint-pool-config-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', '.miglintrc.json'), JSON.stringify({ pgVersion: 'new' }));
    const files = ['1.sql', '2.sql', 'bad/3.sql'].map((f) => join(dir, f));
    for (const f of files) writeFileSync(f, 'SELECT 1;\n');
    await assert.rejects(runFiles(files, new ConfigLoader(known), options(dir, 2)), ConfigError);
  });

  test('auto: small runs, fix runs and debug runs stay on the main thread', () => {
    const sql = (n: number) => Array.from({ length: n }, (_, i) => `/m/${i}.sql`);
    assert.equal(poolSize(sql(10), options('/m', 'auto')), 0);
    assert.equal(poolSize(sql(5000), { ...options('/m', 'auto'), fix: 'write' }), 0);
    assert.equal(poolSize(sql(5000), { ...options('/m', 'auto'), debug: () => {} }), 0);
    assert.equal(poolSize(sql(5000), options('/m', 0)), 0);
    assert.equal(poolSize(sql(5000), options('/m', 3)), 3);
  });
});

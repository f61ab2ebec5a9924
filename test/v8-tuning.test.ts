/**
 * bin/v8-tuning.js: the V8 flags every run sets, the JavaScript tier-up one only on the V8 line it was
 * measured on, only flags this V8 knows (an unknown one makes V8 print an error on every run), and the
 * same for the command line, the language server and migrun (the compile cache's entries hold only
 * under the flags they were compiled with, and the three share them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { startLsp } from './support/lsp-client.js';
import { repoRoot } from './support/paths.js';

const require = createRequire(import.meta.url);
const { tuningFlags } = require(join(repoRoot, 'bin', 'v8-tuning.js')) as { tuningFlags(v8: string): string[] };

describe('V8 tuning', () => {
  test("on Node.js 20's V8 the interrupt budget is raised; on any other V8 only the WebAssembly setting is made", () => {
    assert.deepEqual(tuningFlags('11.3.244.8-node.38'), ['--liftoff-only', '--interrupt-budget=270336']);
    for (const v8 of ['12.4.254.21-node.33', '13.6.233.10-node.18', '10.2.154.26-node.26', '111.0.0']) assert.deepEqual(tuningFlags(v8), ['--liftoff-only'], v8);
  });

  test('every flag set on this V8 is one it knows, and neither entry point prints a flag error', () => {
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const flag of tuningFlags(process.versions.v8)) {
      const name = flag.replace(/=.*$/, '').replace(/^--no-/, '--');
      assert.match(known, new RegExp(`^\\s+${name.replace(/-/g, '[-_]')}\\s`, 'm'), flag);
    }
    for (const bin of ['miglint.js', 'migrun.js']) {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', bin), '--help'], { encoding: 'utf8', env: { ...process.env, MIGLINT_COMPILE_CACHE: '0' } });
      assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /flag/i, bin);
    }
  });

  test('a language server started after a command-line run takes the compiled code that run cached, rewriting none of it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'miglint-v8-'));
    const saved = { dir: process.env.MIGLINT_CACHE_DIR, on: process.env.MIGLINT_COMPILE_CACHE };
    const fixture = join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.typeorm.ts');
    try {
      const env = { ...process.env, MIGLINT_CACHE_DIR: cache, MIGLINT_COMPILE_CACHE: '' };
      const cli = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), fixture, join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.sql')], { cwd: repoRoot, encoding: 'utf8', env });
      assert.equal(cli.status, 1, cli.stderr);
      const entries = () => {
        const dir = join(cache, readdirSync(cache)[0]!);
        return new Map(readdirSync(dir).map((f) => [f, statSync(join(dir, f)).mtimeMs]));
      };
      const before = entries();
      // The TypeScript compiler, ts-morph, the SQL parser's JavaScript and the bundle.
      assert.ok(before.size >= 5, String(before.size));
      // The server (which inherits this process's environment) lints a TypeScript document: it loads what the run cached.
      Object.assign(process.env, { MIGLINT_CACHE_DIR: cache, MIGLINT_COMPILE_CACHE: '' });
      const s = await startLsp(repoRoot, { textDocument: { diagnostic: { dynamicRegistration: false } } });
      const uri = pathToFileURL(fixture).href;
      await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text: readFileSync(fixture, 'utf8') } });
      const report = (await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items: unknown[] };
      assert.ok(report.items.length > 0);
      assert.equal(await s.close(), 0);
      const after = entries();
      const rewritten = [...before].filter(([f, t]) => after.get(f) !== t).map(([f]) => f);
      assert.deepEqual(rewritten, []);
    } finally {
      for (const [k, v] of [['MIGLINT_CACHE_DIR', saved.dir], ['MIGLINT_COMPILE_CACHE', saved.on]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

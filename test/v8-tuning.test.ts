/**
 * bin/v8-tuning.js: the V8 flags each kind of run sets, only on the V8 line they were measured on,
 * and only flags this V8 knows (an unknown one makes V8 print an error on every run).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from './support/paths.js';

const require = createRequire(import.meta.url);
const { tuningFlags } = require(join(repoRoot, 'bin', 'v8-tuning.js')) as { tuningFlags(kind: 'cli' | 'lsp' | 'migrun', v8: string): string[] };

describe('V8 tuning', () => {
  test("on Node.js 20's V8 the command line, the language server and migrun each get their own flags", () => {
    const v8 = '11.3.244.8-node.38';
    assert.deepEqual(tuningFlags('cli', v8), ['--liftoff-only', '--interrupt-budget=270336', '--no-turbo-inlining']);
    assert.deepEqual(tuningFlags('lsp', v8), ['--liftoff-only', '--interrupt-budget=270336']);
    assert.deepEqual(tuningFlags('migrun', v8), ['--liftoff-only']);
  });

  test('on any other V8 only the WebAssembly setting is made', () => {
    for (const v8 of ['12.4.254.21-node.33', '13.6.233.10-node.18', '10.2.154.26-node.26', '111.0.0']) {
      for (const kind of ['cli', 'lsp', 'migrun'] as const) assert.deepEqual(tuningFlags(kind, v8), ['--liftoff-only'], `${kind} ${v8}`);
    }
  });

  test('every flag set on this V8 is one it knows, and a run prints no flag error', () => {
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const kind of ['cli', 'lsp', 'migrun'] as const) {
      for (const flag of tuningFlags(kind, process.versions.v8)) {
        const name = flag.replace(/=.*$/, '').replace(/^--no-/, '--');
        assert.match(known, new RegExp(`^\\s+${name.replace(/-/g, '[-_]')}\\s`, 'm'), `${kind}: ${flag}`);
      }
    }
    for (const bin of ['miglint.js', 'migrun.js']) {
      const r = spawnSync(process.execPath, [join(repoRoot, 'bin', bin), '--help'], { encoding: 'utf8', env: { ...process.env, MIGLINT_COMPILE_CACHE: '0' } });
      assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /flag/i, bin);
    }
  });
});

/**
 * bin/miglint.js chooses what to run: the CommonJS bundle (dist/bundle/cli) when it is at least as
 * new as the last TypeScript build, else the ES modules in dist/src (a `tsc` run alone, or no
 * bundle at all); `lsp` starts the language server from the same place. Tried on a copy of bin/ in
 * a package of stand-in modules that say which of them ran. Through the compile cache, a bundle
 * rewritten in place (even to the same length) runs its new code.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from './support/paths.js';

/** A package with a copy of bin/ and stand-ins for dist/src (ES modules) and dist/bundle (CommonJS). */
function stage(): string {
  const root = mkdtempSync(join(tmpdir(), 'miglint-bin-'));
  writeFileSync(join(root, 'package.json'), '{ "name": "miglint-stand-in", "type": "module" }\n');
  mkdirSync(join(root, 'bin'));
  for (const f of readdirSync(join(repoRoot, 'bin'))) copyFileSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
  mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
  mkdirSync(join(root, 'dist', 'src', 'lsp'), { recursive: true });
  writeFileSync(join(root, 'dist', 'src', 'cli', 'miglint.js'), "export async function main(argv) { process.stdout.write('esm ' + argv.join(' ')); return 3; }\n");
  writeFileSync(join(root, 'dist', 'src', 'lsp', 'server.js'), "export async function startLanguageServer() { process.stdout.write('esm lsp'); }\n");
  writeFileSync(join(root, 'dist', '.tsbuildinfo'), '{}\n');
  return root;
}

/** Writes the stand-in bundle: `main` prints `word` and its arguments. */
function writeBundle(root: string, word: string): void {
  const dir = join(root, 'dist', 'bundle', 'cli');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'miglint.js'), `exports.main = async (argv) => { process.stdout.write(${JSON.stringify(word)} + ' ' + argv.join(' ')); return 4; };\n`);
  writeFileSync(join(dir, 'server.js'), `exports.startLanguageServer = async () => { process.stdout.write(${JSON.stringify(word)} + ' lsp'); };\n`);
}

/** Sets a file's modification time, in seconds from now. */
function age(file: string, seconds: number): void {
  const t = new Date(Date.now() + seconds * 1000);
  utimesSync(file, t, t);
}

function run(root: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'miglint.js'), ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MIGLINT_COMPILE_CACHE: '0', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/miglint.js', () => {
  test('runs the bundle when it is as new as the TypeScript build, else dist/src', () => {
    const root = stage();
    assert.deepEqual(run(root, ['a.sql']), { code: 3, stdout: 'esm a.sql', stderr: '' }, 'no bundle');
    assert.deepEqual(run(root, ['lsp']), { code: 0, stdout: 'esm lsp', stderr: '' });
    writeBundle(root, 'cjs');
    age(join(root, 'dist', '.tsbuildinfo'), -60);
    assert.deepEqual(run(root, ['a.sql']), { code: 4, stdout: 'cjs a.sql', stderr: '' }, 'a current bundle');
    assert.deepEqual(run(root, ['lsp']), { code: 0, stdout: 'cjs lsp', stderr: '' });
    age(join(root, 'dist', '.tsbuildinfo'), 60);
    assert.deepEqual(run(root, ['a.sql']), { code: 3, stdout: 'esm a.sql', stderr: '' }, 'a bundle older than the last tsc');
    rmSync(join(root, 'dist', '.tsbuildinfo'));
    assert.deepEqual(run(root, ['a.sql']), { code: 4, stdout: 'cjs a.sql', stderr: '' }, 'a bundle and no TypeScript build info');
  });

  test('with the compile cache on, a bundle rewritten in place to the same length runs its new code', () => {
    const root = stage();
    const env = { MIGLINT_COMPILE_CACHE: '', MIGLINT_CACHE_DIR: join(root, 'cache') };
    writeBundle(root, 'one');
    age(join(root, 'dist', '.tsbuildinfo'), -60);
    assert.equal(run(root, ['x'], env).stdout, 'one x');
    assert.ok(readdirSync(join(root, 'cache'), { recursive: true }).some((f) => String(f).endsWith('.v8')), 'the bundle has a cache entry');
    assert.equal(run(root, ['x'], env).stdout, 'one x');
    writeBundle(root, 'two');
    assert.equal(run(root, ['x'], env).stdout, 'two x');
    assert.equal(run(root, ['x'], env).stdout, 'two x');
  });
});

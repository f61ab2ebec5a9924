/**
 * bin/compile-cache.js: the compiled code of a run's modules is kept in the user's cache directory
 * (never the shared temporary directory), a run with a warm cache reports exactly what a run
 * without one does, a warm run rewrites nothing, a changed module is never run from stale code
 * (miglint's own bundle: test/bin-entry.test.ts), only this package's bundle is taken for it, an SQL
 * run caches no more than the bundle and the SQL parser's JavaScript, and `MIGLINT_COMPILE_CACHE=0`
 * leaves nothing on disk.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import Module from 'node:module';
import { describe, test } from 'node:test';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');
const FIXTURE = join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.typeorm.ts');

function run(env: Record<string, string>, file = FIXTURE) {
  const r = spawnSync(process.execPath, [BIN, '--format', 'json', file], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, MIGLINT_CACHE_DIR: '', MIGLINT_COMPILE_CACHE: '', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file below `dir`, with its size in bytes and modification time (ns). */
function filesIn(dir: string): { path: string; bytes: number; mtimeNs: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name))
    .map((path) => ({ path, bytes: statSync(path).size, mtimeNs: String(statSync(path, { bigint: true }).mtimeNs) }));
}

/** Requires `file` (a module the cache covers) in a new process with the cache on in `cacheDir`; its `module.exports`. */
function requireCached(file: string, cacheDir: string): string {
  const script = `import { createRequire } from 'node:module';
import { enableCompileCache } from ${JSON.stringify(join(repoRoot, 'bin', 'compile-cache.js'))};
enableCompileCache();
console.log(createRequire(${JSON.stringify(file)})(${JSON.stringify(file)}));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MIGLINT_CACHE_DIR: cacheDir, MIGLINT_COMPILE_CACHE: '' } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

describe('compile cache', () => {
  test('is written under $XDG_CACHE_HOME/miglint, and a warm run reports what a cold one does', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'miglint-xdg-'));
    const cold = run({ XDG_CACHE_HOME: xdg });
    assert.equal(cold.code, 1, cold.stderr);
    const cached = filesIn(join(xdg, 'miglint'));
    // The TypeScript compiler alone compiles to megabytes of code.
    assert.ok(cached.reduce((n, f) => n + f.bytes, 0) > 1_000_000, `cache files: ${JSON.stringify(cached)}`);
    const warm = run({ XDG_CACHE_HOME: xdg });
    assert.equal(warm.code, 1, warm.stderr);
    assert.equal(warm.stdout, cold.stdout);
    assert.equal(warm.stderr, cold.stderr);
    // A run whose modules were all cached writes nothing back.
    assert.deepEqual(filesIn(join(xdg, 'miglint')), cached);
  });

  // One file of each dependency the cache covers (ts-morph, libpg-query). miglint's own bundle, which
  // `npm run build` rewrites whenever the sources change, is cached only next to this bin/: the same
  // is tried on a copy of bin/ in test/bin-entry.test.ts.
  for (const rel of [['node_modules', 'ts-morph', 'dist', 'ts-morph.js'], ['node_modules', 'libpg-query', 'wasm', 'index.cjs']]) {
    test(`a module changed in place, even to the same length, runs its new code and its entry is rewritten (${rel.join('/')})`, () => {
      if (typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function') return; // Node.js's own cache checks the source itself.
      const root = mkdtempSync(join(tmpdir(), 'miglint-cc-mod-'));
      const dir = join(root, ...rel.slice(0, -1));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, rel.at(-1)!);
      const cacheDir = join(root, 'cache');
      writeFileSync(file, 'module.exports = "first";\n');
      assert.equal(requireCached(file, cacheDir), 'first');
      const written = filesIn(cacheDir);
      assert.equal(written.length, 1);
      assert.equal(requireCached(file, cacheDir), 'first');
      assert.deepEqual(filesIn(cacheDir), written);
      writeFileSync(file, 'module.exports = "other";\n');
      assert.equal(requireCached(file, cacheDir), 'other');
      assert.notDeepEqual(filesIn(cacheDir), written);
      assert.equal(requireCached(file, cacheDir), 'other');
    });
  }

  test("a file named like miglint's bundle in another package is not cached", () => {
    const root = mkdtempSync(join(tmpdir(), 'miglint-cc-other-'));
    const dir = join(root, 'dist', 'bundle', 'cli');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'miglint.js');
    writeFileSync(file, 'module.exports = "other package";\n');
    assert.equal(requireCached(file, join(root, 'cache')), 'other package');
    assert.deepEqual(filesIn(join(root, 'cache')), []);
  });

  test('MIGLINT_CACHE_DIR names the directory; MIGLINT_COMPILE_CACHE=0 writes nothing', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'miglint-cache-')), 'here');
    const off = run({ MIGLINT_CACHE_DIR: dir, MIGLINT_COMPILE_CACHE: '0' });
    assert.equal(off.code, 1, off.stderr);
    assert.deepEqual(filesIn(dir), []);
    const on = run({ MIGLINT_CACHE_DIR: dir });
    assert.equal(on.stdout, off.stdout);
    assert.ok(filesIn(dir).length > 0);
  });

  test('an SQL-only run caches at most miglint\'s bundle and the SQL parser\'s JavaScript, never the TypeScript compiler', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'miglint-cache-')), 'sql');
    const r = run({ MIGLINT_CACHE_DIR: dir }, join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.sql'));
    assert.equal(r.code, 1, r.stderr);
    // Each entry's first line is its stamp, which starts with the cached file's path.
    const cachedFiles = filesIn(dir).map((f) => (JSON.parse(readFileSync(f.path, 'latin1').split('\n', 1)[0]!) as string[])[0]!);
    const bundle = join(repoRoot, 'dist', 'bundle', 'cli') + sep;
    const parser = `${sep}node_modules${sep}libpg-query${sep}`;
    assert.deepEqual(cachedFiles.filter((f) => !f.startsWith(bundle) && !f.includes(parser)), []);
    if (typeof (Module as { enableCompileCache?: unknown }).enableCompileCache !== 'function' && existsSync(bundle) && statSync(join(bundle, 'miglint.js')).mtimeMs >= statSync(join(repoRoot, 'dist', '.tsbuildinfo')).mtimeMs) {
      // The bundle is what bin/miglint.js runs: its compiled code is kept.
      assert.ok(cachedFiles.includes(join(bundle, 'miglint.js')), JSON.stringify(cachedFiles));
    }
  });
});

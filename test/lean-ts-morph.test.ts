/**
 * bin/lean-ts-morph.js: ts-morph's helper package is loaded without the lib .d.ts texts it carries
 * (miglint's projects never read them), as a short file with the same lines; the hook also
 * works under the compile cache, changes nothing it does not recognise, and a TS/JS run reports
 * exactly what it reports with the texts loaded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from './support/paths.js';

const require = createRequire(import.meta.url);
const { withoutLibTexts } = require(join(repoRoot, 'bin', 'lean-ts-morph.js')) as { withoutLibTexts(content: string): string };
const COMMON = require.resolve('@ts-morph/common');

/** In a new process: with the hook (and the compile cache in `cacheDir`, or none), the lib files ts-morph offers and a parse through a lib-less project. */
function probe(hook: boolean, cacheDir: string | null): { libFiles: number; kinds: number; heapText: boolean } {
  const script = `
const { enableCompileCache } = require(${JSON.stringify(join(repoRoot, 'bin', 'compile-cache.js'))});
const { leanTsMorph } = require(${JSON.stringify(join(repoRoot, 'bin', 'lean-ts-morph.js'))});
if (${JSON.stringify(cacheDir !== null)}) enableCompileCache();
if (${JSON.stringify(hook)}) leanTsMorph();
const { getLibFiles } = require(${JSON.stringify(COMMON)});
const { Project } = require('ts-morph');
const p = new Project({ useInMemoryFileSystem: true, skipLoadingLibFiles: true, compilerOptions: { noLib: true } });
const f = p.createSourceFile('m.ts', 'export class M { async up(q) { await q.query("CREATE INDEX i ON t (a)"); } }');
const kinds = new Set(); f.forEachDescendant((n) => kinds.add(n.getKindName()));
console.log(JSON.stringify({ libFiles: getLibFiles().length, kinds: kinds.size, heapText: getLibFiles().some((l) => l.text.includes('interface Array<T>')) }));`;
  const env = { ...process.env, MIGLINT_CACHE_DIR: cacheDir ?? '', MIGLINT_COMPILE_CACHE: cacheDir === null ? '0' : '' };
  const r = spawnSync(process.execPath, ['-e', script], { cwd: repoRoot, encoding: 'utf8', env, timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { libFiles: number; kinds: number; heapText: boolean };
}

describe('ts-morph without its lib texts', () => {
  test('the installed @ts-morph/common loses its lib literal and keeps its lines', () => {
    const content = readFileSync(COMMON, 'utf8');
    const lean = withoutLibTexts(content);
    assert.ok(content.length > 2_000_000 && lean.length < content.length / 10, `${content.length} -> ${lean.length}`);
    assert.equal(lean.split('\n').length, content.split('\n').length);
    assert.match(lean, /\nconst libFiles = \[\]\n+;\s*\nfunction getLibFiles\(\) \{/);
    assert.equal(lean.slice(0, lean.indexOf('\nconst libFiles')), content.slice(0, content.indexOf('\nconst libFiles')));
  });

  test('a layout it does not recognise is left as it is', () => {
    const declared = 'x;\nconst libFiles = [{\n  fileName: "lib.d.ts", text: "a"\n}];\n\nfunction getLibFiles() {}\n';
    assert.notEqual(withoutLibTexts(declared), declared);
    for (const other of [
      declared.replace('function getLibFiles()', 'function other()'),
      declared + declared,
      declared.replace('const libFiles = [{', 'let libFiles = [{'),
    ]) {
      assert.equal(withoutLibTexts(other), other);
    }
  });

  test('loaded through the hook, ts-morph offers no lib files and parses the same; under the compile cache too', () => {
    const plain = probe(false, null);
    assert.ok(plain.libFiles > 50 && plain.heapText, 'without the hook the texts are there');
    const lean = probe(true, null);
    assert.deepEqual(lean, { libFiles: 0, kinds: plain.kinds, heapText: false });
    const cache = mkdtempSync(join(tmpdir(), 'miglint-lean-'));
    assert.deepEqual(probe(true, cache), lean, 'cold cache');
    assert.deepEqual(probe(true, cache), lean, 'warm cache');
  });

  test('miglint reports the same on a TypeORM migration with the texts loaded', () => {
    const fixture = join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.typeorm.ts');
    const withHook = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--format', 'json', fixture], { cwd: repoRoot, encoding: 'utf8' });
    // The same CLI, started without the hook: bin/miglint.js's hook is replaced by one that does nothing.
    const noHook = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(join(repoRoot, 'bin', 'lean-ts-morph.js'))}); m.leanTsMorph = () => {}; process.argv.splice(1, 0, ${JSON.stringify(join(repoRoot, 'bin', 'miglint.js'))}); require(${JSON.stringify(join(repoRoot, 'bin', 'miglint.js'))});`, '--', '--format', 'json', fixture], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(withHook.status, 1, withHook.stderr);
    assert.equal(noHook.status, 1, noHook.stderr);
    assert.ok(JSON.parse(withHook.stdout)[0].messages.length > 0);
    assert.equal(withHook.stdout, noHook.stdout);
  });
});

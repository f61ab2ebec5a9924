/**
 * Loaded into every test process by the test runner (test/run.ts passes `--import` to `node --test`,
 * which hands it on to each file's process): the same start-up the command lines have in
 * bin/miglint.js, so each of the ~80 test processes starts as a CLI run does.
 *
 * - The compile cache (bin/compile-cache.js): ts-morph and the TypeScript compiler are compiled from
 *   V8's cached code instead of from source, in each process that loads them.
 * - WebAssembly (libpg-query, tree-sitter) on V8's baseline compiler only, as bin/miglint.js and
 *   bin/migrun.js run it: the optimising compiler's background work on the parsers' huge functions
 *   costs a short process more CPU than it saves.
 *
 * Not bin/lean-ts-morph.js (ts-morph without its lib .d.ts texts): typescript-fixed-compile.test.ts
 * type-checks the fixtures against those texts. test/lean-ts-morph.test.ts tests it, and the tests
 * that spawn bin/miglint.js run with it.
 *
 * Neither changes what the code under test computes. A test file run on its own
 * (`node --test dist/test/x.test.js`) runs without it, only slower.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { repoRoot } from './paths.js';

// bin/ is plain JavaScript outside the compiled tree: imported by its path in the checkout.
const { enableCompileCache } = (await import(pathToFileURL(join(repoRoot, 'bin', 'compile-cache.js')).href)) as { enableCompileCache(): string | null };
enableCompileCache();
setFlagsFromString('--liftoff-only');

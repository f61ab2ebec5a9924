#!/usr/bin/env node
import { statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { enableCompileCache } from './compile-cache.js';

// Compiled code of the modules a run loads (the TypeScript compiler's most of all) is kept on disk
// between runs: compiling it is most of a short run's start-up.
enableCompileCache();

// Run the parsers' WebAssembly (libpg-query, tree-sitter) on V8's baseline compiler only. By default
// V8 recompiles hot functions with its optimising compiler in the background; for the PostgreSQL
// grammar's parser function that costs more CPU than a whole lint run saves, and a short run waits
// for it at exit (one SQL file: 0.37 s with it, 0.24 s without). Set before any WebAssembly compiles.
setFlagsFromString('--liftoff-only');

// `npm run build` also bundles miglint's own modules (dependencies stay as they are) into a few
// files under dist/bundle: one read each instead of about 200 module loads. The bundle is used when
// it is at least as new as the last TypeScript build, so running `tsc` alone never runs stale code.
const built = (path) => statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
const bundle = built('../dist/bundle/cli/miglint.js');
const tsc = built('../dist/.tsbuildinfo');
const code = bundle !== undefined && (tsc === undefined || bundle >= tsc) ? '../dist/bundle/cli' : null;

if (process.argv[2] === 'lsp') {
  // The language server starts without loading the command line's modules.
  const { startLanguageServer } = await import(code ? `${code}/server.js` : '../dist/src/lsp/server.js');
  await startLanguageServer({ input: process.stdin, output: process.stdout, cwd: process.cwd() });
} else {
  // A reader that goes away (`miglint ... | head`) closes the pipe: the rest of the output has no one to
  // read it, so it is dropped, and the run still ends with its exit code (not a crash on EPIPE).
  process.stdout.on('error', (e) => {
    if (e.code !== 'EPIPE') throw e;
  });
  const { main } = await import(code ? `${code}/miglint.js` : '../dist/src/cli/miglint.js');
  process.exitCode = await main(process.argv.slice(2));
}

#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry starts Node.js's ES module loader, about 5 ms of a
// short run, and the bundle below is CommonJS too.
'use strict';
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { enableCompileCache } = require('./compile-cache.js');
const { leanTsMorph } = require('./lean-ts-morph.js');

// Compiled code of the modules a run loads (the TypeScript compiler's most of all) is kept on disk
// between runs: compiling it is most of a short run's start-up.
enableCompileCache();
// ts-morph is loaded without the lib .d.ts texts it carries and miglint never reads (11 MiB).
leanTsMorph();

// Run the parsers' WebAssembly (libpg-query, tree-sitter) on V8's baseline compiler only. By default
// V8 recompiles hot functions with its optimising compiler in the background; for the PostgreSQL
// grammar's parser function that costs more CPU than a whole lint run saves, and a short run waits
// for it at exit (one SQL file: 0.37 s with it, 0.24 s without). Set before any WebAssembly compiles.
setFlagsFromString('--liftoff-only');
// Let a JavaScript function run four times as long (V8's interrupt budget, in bytecode executed) before
// V8 queues it for its optimising compiler (TurboFan), which runs on another thread. A lint run calls a
// few thousand functions often enough for the default budget and TurboFan's compiling of them was a
// third of the run's CPU; with four times the budget only the hottest are compiled (2,105 SQL files:
// 1.65 s of CPU to 1.3 s, and 5% less wall time; the TypeORM and Python corpora likewise).
setFlagsFromString('--interrupt-budget=270336');

// `npm run build` also bundles miglint's own modules (dependencies stay as they are) into one
// CommonJS file per entry under dist/bundle/cli: one read instead of about 200 module loads, and
// compiled code that the compile cache keeps (Node.js 20 keeps none for ES modules). The bundle is
// used when it is at least as new as the last TypeScript build, so running `tsc` alone never runs
// stale code; without one, the ES modules in dist/src run.
const built = (path) => statSync(join(__dirname, path), { throwIfNoEntry: false })?.mtimeMs;
const bundle = built('../dist/bundle/cli/miglint.js');
const tsc = built('../dist/.tsbuildinfo');
const load = bundle !== undefined && (tsc === undefined || bundle >= tsc) ? (name) => require(`../dist/bundle/cli/${name}.js`) : null;

async function run() {
  if (process.argv[2] === 'lsp') {
    // The language server starts without loading the command line's modules.
    const { startLanguageServer } = load ? load('server') : await import('../dist/src/lsp/server.js');
    await startLanguageServer({ input: process.stdin, output: process.stdout, cwd: process.cwd() });
  } else {
    // A command-line run compiles its hottest functions with TurboFan without inlining the functions
    // they call: each function's optimised code is then its own, small to compile, and a call site
    // that meets a new case (a lexer branch, a rule's diagnostic shape) throws away only that code.
    // With inlining, the large compiles of the lexer, the engine loop and the reporter were redone
    // after such deoptimisations, on another thread (2,105 SQL files: 1.28 s of CPU to 1.19 s,
    // wall time the same; the TypeORM and Python corpora a little less CPU too). The language
    // server, which runs for hours on the same code, keeps the default.
    setFlagsFromString('--no-turbo-inlining');
    // A reader that goes away (`miglint ... | head`) closes the pipe: the rest of the output has no one to
    // read it, so it is dropped, and the run still ends with its exit code (not a crash on EPIPE).
    process.stdout.on('error', (e) => {
      if (e.code !== 'EPIPE') throw e;
    });
    const { main } = load ? load('miglint') : await import('../dist/src/cli/miglint.js');
    process.exitCode = await main(process.argv.slice(2));
  }
}

// What main does not handle itself is thrown as an uncaught exception: printed, and exit code 1.
run().catch((e) => process.nextTick(() => { throw e; }));

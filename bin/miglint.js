#!/usr/bin/env node
// CommonJS (bin/package.json): an ES module entry starts Node.js's ES module loader, about 5 ms of a
// short run, and the bundle below is CommonJS too.
'use strict';
const { statSync } = require('node:fs');
const { join } = require('node:path');
const { enableCompileCache } = require('./compile-cache.js');
const { leanTsMorph } = require('./lean-ts-morph.js');
const { tuneV8 } = require('./v8-tuning.js');

// Compiled code of the modules a run loads (the TypeScript compiler's most of all) is kept on disk
// between runs: compiling it is most of a short run's start-up.
enableCompileCache();
// ts-morph is loaded without the lib .d.ts texts it carries and miglint never reads (11 MiB).
leanTsMorph();

// V8's settings, the same for the command line, the language server and migrun (see v8-tuning.js),
// before any WebAssembly or hot code compiles.
tuneV8();

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

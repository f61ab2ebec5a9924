// V8 settings for a run, set from the process (Node.js reads no flags from a package's bin), before any
// of the code they concern compiles. Each was measured on miglint's benchmarks (test/bench/compare.js:
// 2,105 SQL files, 579 TypeORM files, 310 Python files) on Node.js 20's V8 (11.3). The JavaScript
// tier-up setting holds only for that V8 line: later ones tier up by call counts, and a flag V8 does
// not know makes it print an error on every run, so elsewhere only the WebAssembly setting is made.
//
// miglint, its language server and migrun set the same flags: V8 accepts compiled code from the compile
// cache (compile-cache.js) only under the flags it was compiled with, and the three share its entries
// (the TypeScript compiler, the SQL parser's JavaScript), so different flags would have each recompile
// and rewrite them after the other ran. (`--no-turbo-inlining` for command-line runs saved about 0.1 s
// of CPU on the 2,105 SQL files but no wall time, and was left out for that reason.)
//
// CommonJS (bin/package.json), as the entry points that load it are.
'use strict';
const { setFlagsFromString } = require('node:v8');

/**
 * The flags a run sets on the V8 of version `v8` (`process.versions.v8`), in order.
 * - `--liftoff-only`: the parsers' WebAssembly (libpg-query, tree-sitter) on V8's baseline compiler
 *   only. The optimising compiler's background work on the PostgreSQL grammar's parser function costs
 *   more CPU than a whole lint run saves, and a short run waits for it at exit (one SQL file: 0.37 s
 *   with it, 0.24 s without).
 * - `--interrupt-budget=270336` (four times V8 11's default, in bytecode executed), on V8 11 only: a
 *   function runs longer before V8 queues it for TurboFan, on another thread. A lint run calls a few
 *   thousand functions often enough for the default budget, and compiling them was a third of the
 *   run's CPU (2,105 SQL files: 1.65 s of CPU to 1.3 s, and 5% less wall time; the TypeORM and Python
 *   corpora about 20% less CPU).
 * @param {string} v8
 * @returns {string[]}
 */
function tuningFlags(v8) {
  return /^11\./.test(v8) ? ['--liftoff-only', '--interrupt-budget=270336'] : ['--liftoff-only'];
}

/** Sets `tuningFlags(process.versions.v8)` for this process. */
function tuneV8() {
  for (const flag of tuningFlags(process.versions.v8)) setFlagsFromString(flag);
}

module.exports = { tuningFlags, tuneV8 };

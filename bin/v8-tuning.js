// V8 settings for a run, set from the process (Node.js reads no flags from a package's bin), before any
// of the code they concern compiles. Each was measured on miglint's benchmarks (test/bench/compare.js:
// 2,105 SQL files, 579 TypeORM files, 310 Python files) on Node.js 20's V8 (11.3). The JavaScript
// tier-up settings hold only for that V8 line: later ones tier up by call counts, and a flag V8 does
// not know makes it print an error on every run, so elsewhere only the WebAssembly setting is made.
//
// CommonJS (bin/package.json), as the entry points that load it are.
'use strict';
const { setFlagsFromString } = require('node:v8');

/**
 * The flags a run of `kind` sets on the V8 of version `v8` (`process.versions.v8`), in order.
 * - `--liftoff-only`, every run: the parsers' WebAssembly (libpg-query, tree-sitter) on V8's baseline
 *   compiler only. The optimising compiler's background work on the PostgreSQL grammar's parser
 *   function costs more CPU than a whole lint run saves, and a short run waits for it at exit (one
 *   SQL file: 0.37 s with it, 0.24 s without).
 * - `--interrupt-budget=270336` (four times V8 11's default, in bytecode executed), miglint's runs and
 *   its language server: a function runs longer before V8 queues it for TurboFan, on another thread.
 *   A lint run calls a few thousand functions often enough for the default budget, and compiling them
 *   was a third of the run's CPU (2,105 SQL files: 1.65 s of CPU to 1.3 s, and 5% less wall time; the
 *   TypeORM and Python corpora about 20% less CPU).
 * - `--no-turbo-inlining`, command-line runs only: each hot function's optimised code is its own,
 *   small to compile, and a call site meeting a new case (a lexer branch, a rule's diagnostic shape)
 *   throws away only that code. With inlining the large compiles of the lexer, the engine loop and
 *   the reporter were redone after such deoptimisations (2,105 SQL files: about 0.1 s less CPU, wall
 *   time the same). The language server, which runs for hours on the same code, keeps the default.
 * @param {'cli' | 'lsp' | 'migrun'} kind
 * @param {string} v8
 * @returns {string[]}
 */
function tuningFlags(kind, v8) {
  const flags = ['--liftoff-only'];
  if (kind === 'migrun' || !/^11\./.test(v8)) return flags;
  flags.push('--interrupt-budget=270336');
  if (kind === 'cli') flags.push('--no-turbo-inlining');
  return flags;
}

/** Sets `tuningFlags(kind, process.versions.v8)` for this process. */
function tuneV8(kind) {
  for (const flag of tuningFlags(kind, process.versions.v8)) setFlagsFromString(flag);
}

module.exports = { tuningFlags, tuneV8 };

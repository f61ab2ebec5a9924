#!/usr/bin/env node
// CommonJS, as bin/package.json says (see miglint.js); migrun's own modules are ES modules.
'use strict';
const { enableCompileCache } = require('./compile-cache.js');
const { leanTsMorph } = require('./lean-ts-morph.js');
const { tuneV8 } = require('./v8-tuning.js');

// Compiled code of the modules a run loads is kept on disk between runs (see compile-cache.js),
// and ts-morph is loaded without the lib .d.ts texts it carries (see lean-ts-morph.js).
enableCompileCache();
leanTsMorph();

// V8's settings, those of every miglint run (see v8-tuning.js),
// before any WebAssembly compiles.
tuneV8();

// A reader that goes away (`migrun plan | head`) closes the pipe: the rest of the output is dropped,
// and the run still ends with its exit code (not a crash on EPIPE).
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});
import('../dist/src/cli/migrun.js')
  .then(({ main }) => main())
  .catch((e) => process.nextTick(() => { throw e; }));

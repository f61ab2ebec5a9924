#!/usr/bin/env node
// CommonJS, as bin/package.json says (see miglint.js); migrun's own modules are ES modules.
'use strict';
const { enableCompileCache } = require('./compile-cache.js');

// Compiled code of the modules a run loads is kept on disk between runs (see compile-cache.js).
enableCompileCache();

// A reader that goes away (`migrun plan | head`) closes the pipe: the rest of the output is dropped,
// and the run still ends with its exit code (not a crash on EPIPE).
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});
import('../dist/src/cli/migrun.js')
  .then(({ main }) => main())
  .catch((e) => process.nextTick(() => { throw e; }));

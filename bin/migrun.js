#!/usr/bin/env node
// A reader that goes away (`migrun plan | head`) closes the pipe: the rest of the output is dropped,
// and the run still ends with its exit code (not a crash on EPIPE).
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') throw e;
});
const { main } = await import('../dist/src/cli/migrun.js');

await main();

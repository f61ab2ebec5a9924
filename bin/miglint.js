#!/usr/bin/env node
if (process.argv[2] === 'lsp') {
  // The language server starts without loading the command line's modules.
  const { startLanguageServer } = await import('../dist/src/lsp/server.js');
  await startLanguageServer({ input: process.stdin, output: process.stdout, cwd: process.cwd() });
} else {
  const { main } = await import('../dist/src/cli/miglint.js');
  process.exitCode = await main(process.argv.slice(2));
}

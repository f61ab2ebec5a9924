/**
 * Benchmark: `miglint lsp` start-up, as an editor sees it: time from spawning the
 * server to the `initialize` result, and to the first diagnostics of a SQL and a TS
 * document. Median over runs (ms). Prints figures; asserts nothing.
 * Run: `npm run build && node dist/test/bench/lsp-init.js [runs]`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startLsp } from '../support/lsp-client.js';

const runs = Number(process.argv[2] ?? 7);
const dir = mkdtempSync(join(tmpdir(), 'miglint-lsp-bench-'));
writeFileSync(join(dir, 'package.json'), '{}');
const CAPS = { textDocument: { diagnostic: {} } };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const init: number[] = [];
const sql: number[] = [];
const ts: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  const s = await startLsp(dir, CAPS);
  init.push(performance.now() - t0);
  const docs = [
    ['0001.sql', 'sql', 'CREATE INDEX idx_a ON leads (a);\n', sql],
    ['0002.ts', 'typescript', "import type { Knex } from 'knex';\nexport async function up(knex: Knex) { await knex.raw('CREATE INDEX idx_b ON leads (b)'); }\n", ts],
  ] as const;
  for (const [name, languageId, text, into] of docs) {
    const uri = pathToFileURL(join(dir, name)).href;
    const t1 = performance.now();
    await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
    into.push(performance.now() - t1);
  }
  await s.close();
}
console.log(`miglint lsp, median of ${runs} runs: initialize ${median(init).toFixed(0)} ms after spawn; first diagnostics: SQL ${median(sql).toFixed(0)} ms, TS ${median(ts).toFixed(0)} ms after didOpen`);

/**
 * Benchmark: the language server re-linting one open 500-line migration after an edit, warm
 * (the target is 30 ms): a SQL file and a TypeORM file of about 500 lines each are opened, then
 * edited one line at a time; each edit is a `didChange` followed by a `textDocument/diagnostic`
 * request, timed from the notification to the answer (the whole round trip through the server
 * process, as an editor sees it). Median and 90th percentile over the edits after the first 5, and
 * (where /proc exists) the server process's CPU time per edit, user plus system, which other load
 * on the machine disturbs less than wall time. Prints figures; asserts nothing. Run: `npm run build && node dist/test/bench/lsp-relint.js [edits] [--server-cpu-prof=DIR] [--only=sql|ts]`
 * (`--server-cpu-prof` runs the server under `node --cpu-prof`, its profile written to DIR when it exits).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { startLsp } from '../support/lsp-client.js';

const args = process.argv.slice(2);
const edits = Number(args.find((a) => !a.startsWith('--')) ?? 40);
const profDir = args.find((a) => a.startsWith('--server-cpu-prof='))?.slice('--server-cpu-prof='.length);
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const WARM_UP = 5;

/** About 500 lines of SQL migration: tables, indexes, backfills, a transaction block. */
function sqlDoc(): string {
  const out = ["SET lock_timeout = '5s';"];
  for (let i = 0; out.length < 500; i++) {
    out.push(`CREATE TABLE t_${i} (`, '  id bigserial PRIMARY KEY,', '  tenant_id bigint NOT NULL,', `  note text DEFAULT 'n${i}'`, ');');
    out.push(`CREATE INDEX idx_t_${i} ON t_${i} (tenant_id);`, `ALTER TABLE leads ADD COLUMN c_${i} integer;`, `UPDATE leads SET c_${i} = 0 WHERE id < ${i * 100};`);
  }
  return `${out.join('\n')}\n`;
}

/** About 500 lines of a TypeORM migration: queries and builder calls in `up` and `down`. */
function tsDoc(): string {
  const body: string[] = [];
  for (let i = 0; body.length < 480; i++) {
    body.push(`    await queryRunner.query(\`ALTER TABLE leads_${i % 7} ADD COLUMN col_${i} bigint\`);`);
    body.push(`    await queryRunner.createIndex('call_log', new TableIndex({ name: 'idx_${i}', columnNames: ['lead_id'] }));`);
    body.push(`    await queryRunner.query('CREATE TABLE business_calendars_${i} (id bigserial PRIMARY KEY)');`);
  }
  return `import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

export class Big1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
${body.join('\n')}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX idx_0');
  }
}
`;
}

/** A process's CPU time so far in ms (user + system, from /proc/<pid>/stat), or null where there is no /proc. */
function cpuMs(pid: number | undefined): number | null {
  const path = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(path)) return null;
  // Fields after the command name (which may hold spaces, so split after its closing paren): utime is the 14th, stime the 15th.
  const fields = readFileSync(path, 'utf8').slice(readFileSync(path, 'utf8').lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const dir = mkdtempSync(join(tmpdir(), 'miglint-lsp-relint-'));
writeFileSync(join(dir, 'package.json'), '{}');
const s = await startLsp(dir, { textDocument: { diagnostic: {} } }, profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
try {
  for (const [name, languageId, text] of [['0001_big.sql', 'sql', sqlDoc()], ['1700000000000-Big.ts', 'typescript', tsDoc()]] as const) {
    if (only && !name.endsWith(`.${only}`)) continue;
    const uri = pathToFileURL(join(dir, name)).href;
    await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } });
    const lines = text.split('\n');
    const times: number[] = [];
    let found = 0;
    let cpu0: number | null = null;
    for (let k = 0; k < edits + WARM_UP; k++) {
      if (k === WARM_UP) cpu0 = cpuMs(s.child.pid);
      // Edit one line in the middle: a new column name, as typing would.
      const at = Math.floor(lines.length / 2);
      lines[at] = lines[at]!.replace(/(col_|c_)(\d+)/, (_m, p: string, n: string) => `${p}${n}x`);
      const t0 = performance.now();
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: k + 2 }, contentChanges: [{ text: lines.join('\n') }] });
      const report = (await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as { items?: unknown[] };
      if (k >= WARM_UP) times.push(performance.now() - t0);
      found = report.items?.length ?? 0;
    }
    const cpu1 = cpuMs(s.child.pid);
    const cpu = cpu0 !== null && cpu1 !== null ? `, server CPU ${((cpu1 - cpu0) / times.length).toFixed(1)} ms per edit` : '';
    console.log(`${name}: ${lines.length} lines, ${found} diagnostics; re-lint after an edit: median ${pct(times, 0.5).toFixed(1)} ms, p90 ${pct(times, 0.9).toFixed(1)} ms over ${times.length} edits${cpu}`);
  }
} finally {
  await s.close();
}

/**
 * Benchmark: miglint throughput (files per second) over a generated corpus of SQL
 * and TypeScript migrations, and cold-start time of the CLI on one file.
 * Prints figures; asserts nothing. Run: `npm run build && node dist/test/bench/lint-speed.js [files]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../../src/config/index.js';
import { discoverFiles } from '../../src/lint/discover.js';
import { runFiles } from '../../src/lint/run.js';
import { repoRoot } from '../support/paths.js';

const count = Number(process.argv[2] ?? 400);

function sqlMigration(i: number): string {
  return `-- migration ${i}: שלום 🎉
SET lock_timeout = '5s';
ALTER TABLE leads_${i % 7} ADD COLUMN col_${i} bigint;
CREATE INDEX idx_${i} ON call_log_${i % 5} (lead_id, created_at);
UPDATE leads_${i % 7} SET col_${i} = 0 WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999};
BEGIN;
CREATE TABLE t_${i} (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, note text);
CREATE INDEX idx_t_${i} ON t_${i} (tenant_id);
COMMIT;
`;
}

function tsMigration(i: number): string {
  return `import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

export class Migration${i}1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`ALTER TABLE leads_${i % 7} ADD COLUMN col_${i} bigint\`);
    await queryRunner.createIndex('call_log', new TableIndex({ name: 'idx_${i}', columnNames: ['lead_id'] }));
    try {
      await queryRunner.query('CREATE TABLE business_calendars_${i} (id bigserial PRIMARY KEY)');
    } catch (err) {
      console.error('failed', err);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX idx_${i}');
  }
}
`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-bench-'));
  try {
    writeFileSync(join(dir, 'package.json'), '{}');
    for (let i = 0; i < count; i++) {
      writeFileSync(join(dir, `${String(i).padStart(5, '0')}_m.sql`), sqlMigration(i));
      writeFileSync(join(dir, `${1700000000000 + i}-M${i}.ts`), tsMigration(i));
    }
    const known = new Set(rules.map((r) => r.meta.id));
    const options = { cwd: dir, rules, only: null, fix: 'off' as const, unsafeFixes: false };
    const files = await discoverFiles([dir], dir);
    const sqlFiles = files.filter((f) => f.endsWith('.sql'));
    const tsFiles = files.filter((f) => f.endsWith('.ts'));

    // Warm-up pass loads the parser and the TypeScript compiler once.
    await runFiles(files.slice(0, 4), new ConfigLoader(known), options);
    for (const [label, set] of [['SQL', sqlFiles], ['TypeScript', tsFiles], ['all', files]] as const) {
      const t0 = performance.now();
      const r = await runFiles([...set], new ConfigLoader(known), options);
      const ms = performance.now() - t0;
      const findings = r.files.reduce((n, f) => n + f.findings.length, 0);
      console.log(`${label.padEnd(10)} ${String(set.length).padStart(5)} files  ${(ms / 1000).toFixed(2)} s  ${((set.length / ms) * 1000).toFixed(0).padStart(6)} files/s  (${findings} findings)`);
    }

    const bin = join(repoRoot, 'bin', 'miglint.js');
    for (const one of [sqlFiles[0]!, tsFiles[0]!]) {
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        const t0 = performance.now();
        spawnSync(process.execPath, [bin, '--format', 'json', one], { cwd: dir, encoding: 'utf8' });
        times.push(performance.now() - t0);
      }
      console.log(`cold start, one ${one.endsWith('.sql') ? 'SQL' : 'TS '} file: median ${median(times).toFixed(0)} ms over ${times.length} runs (min ${Math.min(...times).toFixed(0)} ms)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

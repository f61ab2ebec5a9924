/**
 * Benchmark: does miglint's cost grow linearly? For SQL, TypeORM and Alembic input it lints, as
 * whole `bin/miglint.js` processes, a folder of `n` and of `4n` generated migrations, and one
 * migration of `k` and of `4k` statements, and prints how much more each larger input costs (the
 * target: 4× the input within 4.5× the time).
 *
 * Cost is the child process's CPU time (user + system, from the `cutime`/`cstime` of
 * /proc/self/stat, in clock ticks), which other load on the machine disturbs less than wall
 * time; wall time is printed beside it. Each ratio is given twice: of the whole runs, and of what
 * the input adds to a run of one one-statement file (start-up: loading the parsers), which is the
 * honest test of growth. Median of `rounds` runs, small and large alternating.
 * Prints figures; asserts nothing. Linux only (it reads /proc).
 * Run: `npm run build && node dist/test/bench/scaling.js [rounds]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../support/paths.js';

const rounds = Number(process.argv[2] ?? 3);
const bin = join(repoRoot, 'bin', 'miglint.js');

/** One SQL migration's statements, `i` keeping names apart. */
function sqlStatements(i: number): string[] {
  return [
    `ALTER TABLE leads_${i % 7} ADD COLUMN col_${i} bigint;`,
    `CREATE INDEX idx_${i} ON call_log_${i % 5} (lead_id, created_at);`,
    `UPDATE leads_${i % 7} SET col_${i} = 0 WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999};`,
    `CREATE TABLE t_${i} (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), note text DEFAULT 'n');`,
    `ALTER TABLE t_${i} ADD CONSTRAINT t_${i}_note CHECK (note <> '') NOT VALID;`,
  ];
}

/** TypeORM `up` body lines for the same statements. */
function typeormLines(i: number): string[] {
  return [
    `    await queryRunner.query(\`ALTER TABLE leads_${i % 7} ADD COLUMN col_${i} bigint\`);`,
    `    await queryRunner.createIndex('call_log_${i % 5}', new TableIndex({ name: 'idx_${i}', columnNames: ['lead_id', 'created_at'] }));`,
    `    await queryRunner.query('UPDATE leads_${i % 7} SET col_${i} = 0 WHERE id BETWEEN $1 AND $2', [${i * 1000}, ${i * 1000 + 999}]);`,
    `    await queryRunner.query('CREATE TABLE t_${i} (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, note text)');`,
    `    await queryRunner.addColumn('t_${i}', new TableColumn({ name: 'flag_${i}', type: 'boolean', isNullable: true }));`,
  ];
}

/** Alembic `upgrade` body lines for the same statements. */
function alembicLines(i: number): string[] {
  return [
    `    op.add_column("leads_${i % 7}", sa.Column("col_${i}", sa.BigInteger(), nullable=True))`,
    `    op.create_index("idx_${i}", "call_log_${i % 5}", ["lead_id", "created_at"])`,
    `    op.execute("UPDATE leads_${i % 7} SET col_${i} = 0 WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999}")`,
    `    op.create_table("t_${i}", sa.Column("id", sa.BigInteger(), primary_key=True), sa.Column("note", sa.Text()))`,
    `    op.execute("ALTER TABLE t_${i} ADD CONSTRAINT t_${i}_note CHECK (note <> '') NOT VALID")`,
  ];
}

interface Kind {
  label: string;
  /** Migrations in the smaller folder, and units of five statements in the smaller single file (4× each for the larger). */
  files: number;
  units: number;
  /** The name of migration `i` of a folder. */
  name(i: number): string;
  /** A migration holding the statements of `from` up to (not including) `to`; `i` is its place in its folder. */
  text(i: number, from: number, to: number): string;
}

const range = (from: number, to: number, f: (i: number) => string[]): string[] => Array.from({ length: to - from }, (_, j) => f(from + j)).flat();

const KINDS: Kind[] = [
  {
    label: 'SQL',
    files: 300,
    units: 400,
    name: (i) => `${String(i + 1).padStart(5, '0')}_m${i}.sql`,
    text: (_i, from, to) => `SET lock_timeout = '5s';\n${range(from, to, sqlStatements).join('\n')}\n`,
  },
  {
    label: 'TypeORM',
    files: 150,
    units: 100,
    name: (i) => `${1700000000000 + i}-M${i}.ts`,
    text: (i, from, to) => `import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';

export class M${i}${1700000000000 + i} implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
${range(from, to, typeormLines).join('\n')}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('SELECT 1');
  }
}
`,
  },
  {
    label: 'Alembic',
    files: 150,
    units: 100,
    name: (i) => `${String(i).padStart(4, '0')}_m${i}.py`,
    text: (i, from, to) => `"""m${i}"""
from alembic import op
import sqlalchemy as sa

revision = "r${i}"
down_revision = ${i === 0 ? 'None' : `"r${i - 1}"`}


def upgrade():
${range(from, to, alembicLines).join('\n')}


def downgrade():
    pass
`,
  },
];

/** The CPU time (ms) of the children this process has waited for, from /proc/self/stat. */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name (which may hold spaces): cutime is the 16th field, cstime the 17th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[13]) + Number(f[14]);
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** One whole-process run of miglint on `target`: CPU and wall time (ms). */
function run(target: string, cwd: string): { cpu: number; wall: number } {
  const c0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, '--format', 'json', target], { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`miglint exited ${r.status} on ${target}: ${r.stderr}`);
  return { cpu: childCpuMs() - c0, wall };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Writes a folder of `files` migrations of `per` statements each (kept apart by `offset`). */
function folder(dir: string, kind: Kind, files: number, per: number): string {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, kind.name(i)), kind.text(i, i * per, (i + 1) * per));
  return dir;
}

function main(): void {
  const root = mkdtempSync(join(tmpdir(), 'miglint-scaling-'));
  writeFileSync(join(root, 'package.json'), '{}');
  try {
    console.log(`median of ${rounds} runs; cost = CPU time of the whole process (user + system), wall time in brackets`);
    for (const kind of KINDS) {
      const base = folder(join(root, kind.label, 'base'), kind, 1, 1);
      const cases = [
        { small: folder(join(root, kind.label, 'files-n'), kind, kind.files, 1), large: folder(join(root, kind.label, 'files-4n'), kind, 4 * kind.files, 1), n: `${kind.files} → ${4 * kind.files} files` },
        { small: folder(join(root, kind.label, 'stmts-k'), kind, 1, kind.units), large: folder(join(root, kind.label, 'stmts-4k'), kind, 1, 4 * kind.units), n: `${5 * kind.units} → ${20 * kind.units} statements in one file` },
      ];
      for (const c of cases) {
        const t = { base: [] as { cpu: number; wall: number }[], small: [] as { cpu: number; wall: number }[], large: [] as { cpu: number; wall: number }[] };
        for (let r = 0; r < rounds; r++) {
          t.base.push(run(base, root));
          t.small.push(run(c.small, root));
          t.large.push(run(c.large, root));
        }
        const m = (xs: { cpu: number; wall: number }[], k: 'cpu' | 'wall') => median(xs.map((x) => x[k]));
        const [b, s, l] = [m(t.base, 'cpu'), m(t.small, 'cpu'), m(t.large, 'cpu')];
        const whole = l / s;
        const added = (l - b) / Math.max(1, s - b);
        console.log(
          `${kind.label.padEnd(8)} ${c.n.padEnd(36)} ${String(s).padStart(6)} → ${String(l).padStart(6)} ms CPU (${m(t.small, 'wall').toFixed(0)} → ${m(t.large, 'wall').toFixed(0)} ms wall); ` +
            `×${whole.toFixed(2)} whole, ×${added.toFixed(2)} over start-up (${b} ms)${added > 4.5 ? '  ABOVE 4.5×' : ''}`,
        );
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main();

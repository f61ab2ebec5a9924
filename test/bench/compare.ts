/**
 * Benchmark: miglint against its peers, squawk (a native binary, SQL only) and pgfence
 * (Node.js; SQL, TypeORM and knex files), whole process, on the same inputs.
 *
 * Run: `npm run build && node dist/test/bench/compare.js [--rounds N] [--baseline <bin/miglint.js>] <input>...`,
 * where `--baseline` adds another build of miglint (e.g. a checkout of the main branch) as a row; each
 * input is a directory of migrations (walked for .sql, .ts and .js files) or one file. Each
 * input is one row group: `node -e 0` (Node.js's own start-up, for reference), miglint, and each
 * peer that reads the input's kind of file (squawk is skipped when the input holds no .sql file,
 * pgfence when it holds none of .sql/.ts/.js). Every tool is handed the same list of files: the
 * input's .sql files that PostgreSQL's grammar parses (pgfence stops at the first one that does
 * not, and templated SQL is common in public projects; the count left out is printed) and its
 * .ts/.js files. A tool that exits with status 2 or more is marked as having stopped.
 *
 * The tools run one after another, alternating, for N rounds (default 5; the order rotates each
 * round so no tool always runs first after another's cache warm-up), with standard output
 * discarded. Wall time is measured around each process; peak memory is the child's maximum
 * resident set size from `/usr/bin/time` (left out where that program is missing). Printed: a
 * markdown table of medians, with the ratio of each peer's median time to miglint's.
 * Asserts nothing; exit status 0 unless an input is missing or a tool cannot start.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from '../support/paths.js';

const require = createRequire(import.meta.url);
const TIME = '/usr/bin/time';
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage']);

interface Tool {
  name: string;
  /** The command for these files, or null when the tool does not read any of them. */
  command(input: string, files: string[]): string[] | null;
}

/** The package directory of an installed dependency, or null. */
function packageDir(name: string): string | null {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

function tools(baseline: string | null): Tool[] {
  const out: Tool[] = [
    { name: 'node -e 0', command: () => [process.execPath, '-e', '0'] },
    { name: 'miglint', command: (_input, files) => (files.length ? [process.execPath, join(repoRoot, 'bin', 'miglint.js'), ...files] : null) },
  ];
  if (baseline) out.push({ name: 'miglint (baseline)', command: (_input, files) => [process.execPath, baseline, ...files] });
  // The native binary itself, as squawk-cli's launcher would exec it (so the launcher's Node.js start-up is not counted).
  const squawkDir = packageDir(`@squawk-cli/${process.platform}-${process.arch}`);
  const squawk = squawkDir ? join(squawkDir, 'bin', process.platform === 'win32' ? 'squawk.exe' : 'squawk') : null;
  if (squawk && existsSync(squawk)) {
    out.push({ name: 'squawk', command: (_input, files) => { const sql = files.filter((f) => f.endsWith('.sql')); return sql.length ? [squawk, ...sql] : null; } });
  } else {
    console.error(`compare: squawk's binary for ${process.platform}-${process.arch} is not installed (npm ci installs it with squawk-cli): skipped`);
  }
  const pgfenceDir = packageDir('@flvmnt/pgfence');
  if (pgfenceDir) {
    const main = (JSON.parse(readFileSync(join(pgfenceDir, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['pgfence']!;
    out.push({
      name: 'pgfence',
      command: (_input, files) => {
        const read = files.filter((f) => /\.(sql|ts|js)$/.test(f));
        return read.length ? [process.execPath, join(pgfenceDir, main), 'analyze', ...read] : null;
      },
    });
  } else {
    console.error('compare: @flvmnt/pgfence is not installed (a dev dependency): skipped');
  }
  return out;
}

/** The migration files of an input: the file itself, or a directory's .sql/.ts/.js files (no .d.ts), sorted. */
function filesOf(input: string): string[] {
  if (!statSync(input).isDirectory()) return [input];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.') || SKIPPED_DIRS.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(sql|ts|js|py)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
    }
  };
  walk(input);
  return out.sort();
}

interface Sample {
  ms: number;
  /** Peak resident set size in KiB, or null when unknown. */
  maxRssKiB: number | null;
  status: number | null;
  stderr: string;
}

/** Runs one command to its end with its output discarded. */
function runOnce(argv: string[], scratch: string): Sample {
  const haveTime = existsSync(TIME);
  const timeFile = join(scratch, 'time.txt');
  const [cmd, ...args] = haveTime ? [TIME, '-o', timeFile, '-f', '%M', ...argv] : argv;
  const t0 = performance.now();
  const r = spawnSync(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`cannot run ${argv[0]}: ${r.error.message}`);
  let maxRssKiB: number | null = null;
  if (haveTime) {
    // `time` writes "Command exited with non-zero status N" before the figure when the command fails.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
    maxRssKiB = /^\d+$/.test(last) ? Number(last) : null;
  }
  return { ms, maxRssKiB, status: r.status, stderr: r.stderr.toString('utf8') };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmtMs = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

type Parse = (sql: string) => unknown;

/** libpg-query's `parseSync`, loaded from `from` (a package directory) or ours. */
async function parserAt(from: string | null): Promise<Parse> {
  const q = (from ? createRequire(join(from, 'package.json'))('libpg-query') : await import('libpg-query')) as { loadModule(): Promise<void>; parseSync: Parse };
  await q.loadModule();
  return q.parseSync;
}

/**
 * The files of `files` every tool can read: .sql files that parse with our grammar (PostgreSQL 18's)
 * and with the one pgfence uses (its own libpg-query, an older PostgreSQL's), and the rest.
 */
async function readable(files: string[]): Promise<{ files: string[]; unparsed: number }> {
  const pgfence = packageDir('@flvmnt/pgfence');
  const parsers = [await parserAt(null), ...(pgfence ? [await parserAt(pgfence)] : [])];
  const out: string[] = [];
  let unparsed = 0;
  for (const f of files) {
    if (!f.endsWith('.sql')) out.push(f);
    else {
      try {
        const text = readFileSync(f, 'utf8');
        for (const parse of parsers) parse(text);
        out.push(f);
      } catch {
        unparsed++; // left out for every tool, and counted in the report
      }
    }
  }
  return { files: out, unparsed };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let rounds = 5;
  let baseline: string | null = null;
  const inputs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rounds') rounds = Number(argv[++i]);
    else if (argv[i] === '--baseline') baseline = resolve(argv[++i] ?? '');
    else inputs.push(resolve(argv[i]!));
  }
  if (inputs.length === 0 || !Number.isInteger(rounds) || rounds < 1) {
    console.error('usage: node dist/test/bench/compare.js [--rounds N] [--baseline <bin/miglint.js>] <directory or file>...');
    process.exit(2);
  }
  const all = tools(baseline);
  const scratch = mkdtempSync(join(tmpdir(), 'miglint-compare-'));
  const notes: string[] = [];
  const rows: string[] = ['| input | files | tool | median wall time | min | peak memory | time ÷ miglint | exit |', '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |'];
  try {
    for (const input of inputs) {
      if (!existsSync(input)) {
        console.error(`compare: ${input} does not exist`);
        process.exit(2);
      }
      const found = filesOf(input);
      const { files, unparsed } = await readable(found);
      if (unparsed) notes.push(`${basename(input)}: ${unparsed} of ${found.length} .sql files do not parse with PostgreSQL's grammar, as of 18 or of pgfence's parser (templates, other dialects, newer syntax), and were left out for every tool.`);
      const runnable = all.map((t) => ({ tool: t, argv: t.command(input, files) })).filter((t): t is { tool: Tool; argv: string[] } => t.argv !== null);
      for (const t of all) if (!runnable.some((r) => r.tool === t)) console.error(`compare: ${t.name} skipped for ${basename(input)}: it reads none of its files`);
      const samples = new Map<string, Sample[]>(runnable.map((r) => [r.tool.name, []]));
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < runnable.length; k++) {
          const r = runnable[(k + round) % runnable.length]!;
          samples.get(r.tool.name)!.push(runOnce(r.argv, scratch));
        }
        process.stderr.write(`compare: ${basename(input)}: round ${round + 1}/${rounds}\n`);
      }
      const ours = median(samples.get('miglint')!.map((s) => s.ms));
      for (const r of runnable) {
        const s = samples.get(r.tool.name)!;
        const ms = median(s.map((x) => x.ms));
        const rss = s.every((x) => x.maxRssKiB !== null) ? `${(median(s.map((x) => x.maxRssKiB!)) / 1024).toFixed(0)} MiB` : 'n/a';
        const statuses = [...new Set(s.map((x) => String(x.status)))].join('/');
        const stopped = s.find((x) => x.status === null || x.status >= 2);
        if (stopped) notes.push(`${basename(input)}: ${r.tool.name} stopped (exit ${stopped.status}): ${stopped.stderr.trim().split('\n').pop() ?? ''}`);
        const ratio = r.tool.name === 'miglint' ? '1' : `${(ms / ours).toFixed(2)}`;
        rows.push(`| ${basename(input)} | ${files.length} | ${r.tool.name} | ${fmtMs(ms)} | ${fmtMs(Math.min(...s.map((x) => x.ms)))} | ${rss} | ${ratio} | ${statuses} |`);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`${rounds} rounds, alternating; Node.js ${process.version}; squawk ${peerVersion('squawk-cli')}; pgfence ${peerVersion('@flvmnt/pgfence')}\n`);
  console.log(rows.join('\n'));
  if (notes.length) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
}

function peerVersion(name: string): string {
  const dir = packageDir(name);
  return dir ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version : 'not installed';
}

await main();

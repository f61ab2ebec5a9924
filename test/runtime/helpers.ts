/**
 * Helpers for the migrun tests: spawning the compiled CLI (from the same build
 * directory as the test, through bin/migrun.js when that is dist/),
 * temporary migration directories, and second connections that block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { fixturesDir, repoRoot } from '../support/paths.js';
import type { Logger } from '../../src/runtime/runtime.js';
import { runCli } from '../../src/cli/migrun.js';
import { migrunDefaults } from '../../src/cli/migrun-config.js';

/** The compiled CLI module next to this compiled test. */
export const cliPath = fileURLToPath(new URL('../../src/cli/migrun.js', import.meta.url));

/**
 * What a child process runs: bin/migrun.js, the installed command with its start-up (compile cache,
 * WebAssembly tier), when that is the module it loads (the build in dist/); else the module itself.
 */
const entry = cliPath === join(repoRoot, 'dist', 'src', 'cli', 'migrun.js') ? join(repoRoot, 'bin', 'migrun.js') : cliPath;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** An environment without DATABASE_URL and PG* variables, so only the flags given count. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'DATABASE_URL' && !k.startsWith('PG')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts `migrun <args>`; resolves with its exit and output. */
export function startMigrun(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const started = Date.now();
  const child = spawn(process.execPath, [entry, ...args], { env: opts.env ?? cleanEnv(), cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, done };
}

export function migrun(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return startMigrun(args, opts).done;
}

/**
 * `migrun <args>` in this process: `runCli` with the configuration file's defaults from `cwd`, as
 * bin/migrun.js calls it, its output captured. For the many calls that test what migrun does;
 * `migrun()` (a child process) stays for what its process does (exit codes as seen by a shell,
 * signals, output nothing else writes to). `timeoutMs` aborts the run as a SIGTERM would.
 */
export async function migrunIn(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const started = Date.now();
  const cwd = opts.cwd ?? process.cwd();
  let stdout = '';
  let stderr = '';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort('SIGTERM'), opts.timeoutMs ?? 60_000);
  try {
    const code = await runCli(
      args,
      { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) }, env: opts.env ?? cleanEnv(), cwd, signal: abort.signal },
      await migrunDefaults(cwd),
    );
    return { code, stdout, stderr, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

/** A temp directory holding the given migration files. */
export function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'migrun-test-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** A temp copy of a fixture directory under fixtures/migrun/. */
export function fixtureCopy(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `migrun-${name}-`));
  cpSync(join(fixturesDir, 'migrun', name), dir, { recursive: true });
  return dir;
}

/** A connected client with an error listener (a terminated backend must not crash the test process). */
export async function connect(url: string, applicationName = 'test'): Promise<pg.Client & { pid: number }> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  c.on('error', () => undefined);
  await c.connect();
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return Object.assign(c, { pid });
}

/** Runs one query on a short-lived connection. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, sql: string, params?: unknown[]): Promise<R[]> {
  const c = await connect(url, 'test-query');
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** A session left idle in a transaction after running `sql` (it holds the locks `sql` took). */
export async function idleInTransaction(url: string, sql: string, applicationName = 'idle-blocker'): Promise<pg.Client & { pid: number }> {
  const c = await connect(url, applicationName);
  await c.query('BEGIN');
  await c.query(sql);
  return c;
}

/** Whether a backend pid is still alive. */
export async function alive(url: string, pid: number): Promise<boolean> {
  const rows = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1', [pid]);
  return rows[0]!.n > 0;
}

/** Polls `fn` every 25ms until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until backend `pid` is in `state` (pg_stat_activity.state: 'active', 'idle in transaction', ...)
 * and has been for at least `forMs` ms (by the server's clock, `now() - state_change`).
 * Poll from `url`, best the admin database: a poll connection in the watched database is a session there too.
 * @throws Error after `timeoutMs` ms.
 */
export async function waitForState(url: string, pid: number, state: string, forMs = 0, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    async () =>
      (await query<{ ok: boolean }>(url, 'SELECT 1 AS ok FROM pg_stat_activity WHERE pid = $1 AND state = $2 AND clock_timestamp() - state_change >= $3 * interval \'1 millisecond\'', [pid, state, forMs])).length > 0,
    timeoutMs + forMs,
    `pid ${pid} to be ${state}${forMs ? ` for ${forMs}ms` : ''}`,
  );
}

/** A logger that keeps every line. */
export function captureLogger(): Logger & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    text: () => lines.join('\n'),
  };
}

/** Ends a client, ignoring errors (it may have been terminated). */
export async function end(c: pg.Client | null | undefined): Promise<void> {
  await c?.end().catch(() => undefined);
}

export interface WriteRecord {
  start: number;
  end: number;
  ok: boolean;
}

export interface WriteLoad {
  records: WriteRecord[];
  /** Writes overlapping [from, to]: how many finished inside it, and the longest one's latency (ms). */
  window(from: number, to: number): { completed: number; maxLatencyMs: number; failed: number };
  stop(): Promise<void>;
}

/**
 * `clients` connections writing as fast as they can: each loop inserts a row
 * and updates a random existing one, in autocommit. Every write is timed.
 */
export async function startWriteLoad(url: string, clients: number, maxId: number): Promise<WriteLoad> {
  const records: WriteRecord[] = [];
  let running = true;
  const conns = await Promise.all(Array.from({ length: clients }, (_, i) => connect(url, `writer-${i}`)));
  const loops = conns.map(async (c, i) => {
    let n = 0;
    while (running) {
      const start = Date.now();
      try {
        if (n++ % 2 === 0) await c.query("INSERT INTO items (tenant_id, payload) VALUES ($1, md5(random()::text))", [i]);
        else await c.query('UPDATE items SET tenant_id = tenant_id WHERE id = $1', [1 + Math.floor(Math.random() * maxId)]);
        records.push({ start, end: Date.now(), ok: true });
      } catch {
        records.push({ start, end: Date.now(), ok: false });
      }
    }
  });
  return {
    records,
    window(from, to) {
      const inside = records.filter((r) => r.end >= from && r.start <= to);
      return {
        completed: inside.filter((r) => r.ok && r.end <= to).length,
        maxLatencyMs: Math.max(0, ...inside.map((r) => r.end - r.start)),
        failed: inside.filter((r) => !r.ok).length,
      };
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      await Promise.all(conns.map((c) => end(c)));
    },
  };
}

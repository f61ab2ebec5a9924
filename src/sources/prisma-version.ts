/**
 * How the Prisma version a project depends on runs a `migration.sql` on PostgreSQL.
 *
 * Read from prisma-engines' schema engine (the PostgreSQL connector's `apply_migration_script`):
 * - before pull request 5767 (commit 57b675f, February 2026; first released in Prisma 7.4.0) it sends
 *   the whole script in one `simple_query`: one query string, which PostgreSQL runs as one implicit
 *   transaction block when it holds more than one statement (protocol-flow.html, "Multiple Statements
 *   in a Simple Query"), so `CREATE INDEX CONCURRENTLY` works only as the file's only statement;
 * - from then on it splits the script into statements (`split_script_into_statements`, with the
 *   sqlparser crate) and sends each in its own `simple_query`: each commits on its own. When sqlparser
 *   cannot parse the script, it falls back to sending it whole; sqlparser (through 0.62) does not
 *   parse `DROP INDEX CONCURRENTLY`, so a file with one and any other statement still runs as one
 *   implicit transaction (prisma-engines pull request 5847, open in July 2026).
 *
 * The version comes from the nearest package.json that depends on `prisma` (or `@prisma/client`),
 * made exact by the lock file beside it or above it (package-lock.json, pnpm-lock.yaml, yarn.lock)
 * when the range allows both behaviours.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** The first Prisma release whose schema engine runs a migration statement by statement. */
export const PRISMA_SPLITS_FROM = [7, 4, 0] as const;

export type PrismaMode = 'one-string' | 'per-statement' | 'unknown';

export interface PrismaExecution {
  mode: PrismaMode;
  /** The version (or range) found, e.g. `7.4.1` or `^7.0.0`; null when none was found. */
  version: string | null;
  /** Where it was found, for messages: `prisma 5.22.0 in package-lock.json`. */
  source: string;
}

type Version = [number, number, number];

function parseVersion(v: string): Version | null {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/.exec(v.trim());
  if (!m) return null;
  const n = (s: string | undefined) => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [Number(m[1]), n(m[2]), n(m[3])];
}

function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The versions an npm range allows, as [lowest, above-highest) (above-highest null: no bound).
 * Understands exact versions, `^`, `~`, `>=`, `<`, `x` ranges and `a - b`; null for anything else
 * (`latest`, `workspace:*`, `||` alternatives, tags), which leaves the version unknown.
 */
export function rangeBounds(range: string): { low: Version; high: Version | null } | null {
  const r = range.trim().replace(/^npm:prisma@/, '');
  if (r.includes('||') || r === '' || r === '*' || r === 'latest') return null;
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(r);
  if (hyphen) {
    const low = parseVersion(hyphen[1]!);
    const hi = parseVersion(hyphen[2]!);
    return low && hi ? { low, high: [hi[0], hi[1], hi[2] + 1] } : null;
  }
  let low: Version | null = null;
  let high: Version | null = null;
  for (const part of r.split(/\s+/)) {
    const m = /^(\^|~|>=|>|<=|<|=)?\s*(.+)$/.exec(part);
    if (!m) return null;
    const v = parseVersion(m[2]!);
    if (!v) return null;
    const wildcardMinor = /^v?\d+(?:\.(?:x|\*))?$/.test(m[2]!);
    const wildcardPatch = /^v?\d+\.\d+(?:\.(?:x|\*))?$/.test(m[2]!);
    switch (m[1]) {
      case '^':
        low = v;
        high = v[0] > 0 ? [v[0] + 1, 0, 0] : [0, v[1] + 1, 0];
        break;
      case '~':
        low = v;
        high = [v[0], v[1] + 1, 0];
        break;
      case '>=':
        low = v;
        break;
      case '>':
        low = [v[0], v[1], v[2] + 1];
        break;
      case '<':
        high = v;
        break;
      case '<=':
        high = [v[0], v[1], v[2] + 1];
        break;
      default:
        low = v;
        high = wildcardMinor ? [v[0] + 1, 0, 0] : wildcardPatch ? [v[0], v[1] + 1, 0] : [v[0], v[1], v[2] + 1];
    }
  }
  return low ? { low, high } : null;
}

/** What a version or range says: statement by statement, one string, or either (unknown). */
export function modeOf(range: string): PrismaMode {
  const b = rangeBounds(range);
  if (!b) return 'unknown';
  if (compare(b.low, PRISMA_SPLITS_FROM) >= 0) return 'per-statement';
  if (b.high && compare(b.high, PRISMA_SPLITS_FROM) <= 0) return 'one-string';
  return 'unknown';
}

const PACKAGES = ['prisma', '@prisma/client'] as const;

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw e;
  }
}

/** The versions of `name` a lock file's text resolves; empty when it has none. */
export function lockedVersions(lockName: string, text: string, name: string): string[] {
  const found = new Set<string>();
  const esc = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  if (lockName === 'package-lock.json') {
    let data: { packages?: Record<string, { version?: string }>; dependencies?: Record<string, { version?: string }> };
    try {
      data = JSON.parse(text);
    } catch {
      return [];
    }
    for (const [key, value] of Object.entries(data.packages ?? {})) {
      if ((key === `node_modules/${name}` || key.endsWith(`/node_modules/${name}`)) && value.version) found.add(value.version);
    }
    const v1 = data.dependencies?.[name]?.version;
    if (v1) found.add(v1);
  } else if (lockName === 'pnpm-lock.yaml') {
    // v5 `/prisma/5.22.0:`, v6 `/prisma@5.22.0:`, v9 `prisma@7.4.1:` (keys may be quoted).
    const re = new RegExp(`^\\s+['"]?/?${esc}[@/](\\d+\\.\\d+\\.\\d+[^'":\\s(]*)`, 'gm');
    for (const m of text.matchAll(re)) found.add(m[1]!);
  } else {
    // yarn v1 `prisma@^5.0.0:` + `  version "5.22.0"`; berry `"prisma@npm:^7.4.0":` + `  version: 7.4.1`.
    const re = new RegExp(`^"?${esc}@[^\\n]*:\\s*\\n\\s+version:?\\s+"?(\\d+\\.\\d+\\.\\d+[^"\\s]*)`, 'gm');
    for (const m of text.matchAll(re)) found.add(m[1]!);
  }
  return [...found];
}

const LOCK_FILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'] as const;

/** The nearest package.json at or above `dir` that depends on Prisma: its directory, package and range. */
async function nearestPrismaManifest(dir: string): Promise<{ dir: string; name: string; range: string } | null> {
  for (let d = dir; ; d = dirname(d)) {
    const text = await readText(join(d, 'package.json'));
    if (text !== null) {
      let pkg: Record<string, Record<string, string> | undefined>;
      try {
        pkg = JSON.parse(text);
      } catch {
        pkg = {};
      }
      for (const name of PACKAGES) {
        for (const field of ['dependencies', 'devDependencies', 'optionalDependencies'] as const) {
          const range = pkg[field]?.[name];
          if (typeof range === 'string') return { dir: d, name, range };
        }
      }
    }
    if (dirname(d) === d) return null;
  }
}

/**
 * How the Prisma version the project of `migrationDir` depends on runs its migrations.
 * `configured`: the `prismaVersion` setting, which wins over what the project's files say.
 * @throws the file system's error for anything but a missing file.
 */
export async function prismaExecution(migrationDir: string, configured: string | null, cwd = migrationDir): Promise<PrismaExecution> {
  if (configured) return { mode: modeOf(configured), version: configured, source: 'configuration `prismaVersion`' };
  const manifest = await nearestPrismaManifest(migrationDir);
  if (!manifest) return { mode: 'unknown', version: null, source: 'no package.json above the migrations depends on prisma or @prisma/client' };
  const at = (p: string) => relative(cwd, p).split('\\').join('/') || '.';
  const fromManifest: PrismaExecution = { mode: modeOf(manifest.range), version: manifest.range, source: `${manifest.name} ${manifest.range} in ${at(join(manifest.dir, 'package.json'))}` };
  if (fromManifest.mode !== 'unknown') return fromManifest;
  // A range that allows both: the lock file says which version is installed.
  for (let d = manifest.dir; ; d = dirname(d)) {
    for (const lock of LOCK_FILES) {
      const text = await readText(join(d, lock));
      if (text === null) continue;
      const versions = lockedVersions(lock, text, manifest.name);
      const modes = new Set(versions.map(modeOf));
      if (versions.length > 0 && modes.size === 1) return { mode: [...modes][0]!, version: versions.join(', '), source: `${manifest.name} ${versions.join(', ')} in ${at(join(d, lock))}` };
      if (versions.length > 1) return { mode: 'unknown', version: versions.join(', '), source: `${at(join(d, lock))} locks several versions of ${manifest.name} (${versions.join(', ')})` };
    }
    if (dirname(d) === d) break;
  }
  return fromManifest;
}

/**
 * Which runner executes a `.sql` migration, from the project's own files, so users need not
 * configure what their project already says. Checked in this order, the first that holds wins:
 *
 * 1. Prisma Migrate: `<migrations>/<name>/migration.sql` with `<migrations>/migration_lock.toml`;
 * 2. drizzle-kit: `meta/_journal.json` beside the file;
 * 3. diesel: `metadata.toml` beside an `up.sql`/`down.sql`, or `diesel.toml` in the project;
 * 4. Flyway: `<script>.sql.conf` beside the file, or `flyway.conf`/`flyway.toml` in the project
 *    (Flyway's `V1__name.sql` names alone are read with the file, in sql-runners.ts);
 * 4b. pop: a `<version>_<name>.up.sql` beside files only pop names (`.postgres.up.sql`, `.autocommit.up.sql`);
 * 5. db-migrate: `migrations/sqls/<name>-up.sql`/`-down.sql` with `database.json` in the project, a
 *    `db-migrate` dependency, or its generated JS wrapper in the folder above;
 * 6. graphile-migrate: `.gmrc` (or `.gmrc.js`/`.gmrc.cjs`) in the project, or its dependency;
 * 7. the dependencies of the nearest package.json: `dbmate`, `postgres-migrations`, `postgres-shift`;
 * then (sql-runners.ts, reading the file itself) dbmate's and goose's markers, the postgres-migrations
 * directive, pop's `.autocommit.` and `.<dialect>.` names, Flyway's and golang-migrate's file names.
 *
 * "The project" is the file's folder and those above it, up to the first that holds a package.json
 * or `.git`. Folder listings and package.json files are read once per detector (one per lint run or
 * editor configuration): cached per directory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { SqlRunner } from '../core/rule.js';
import { GOLANG_MIGRATE_NAME, isPopOnlyName } from './sql-runners.js';

export interface DetectedRunner {
  runner: SqlRunner;
  /** The file or dependency that showed it, relative to the working directory, e.g. `prisma/migrations/migration_lock.toml`. */
  detectedBy: string;
}

/** Reads and caches folder listings and package.json dependencies; one per run. */
export class RunnerDetector {
  private readonly listings = new Map<string, Promise<ReadonlySet<string>>>();
  private readonly manifests = new Map<string, Promise<{ path: string; deps: ReadonlySet<string> } | null>>();
  private readonly byDir = new Map<string, Promise<ProjectFacts>>();
  /** Per folder, its first file of a name only pop writes (null: none), read once per listing. */
  private readonly popNames = new Map<string, string | null>();

  /**
   * @param cwd what paths in `detectedBy` are relative to.
   * @param list lists a folder (throwing what `readdirSync` throws): by default `readdirSync`, else a
   * listing shared with other readers of the same folders (a configuration loader's `listDir`).
   */
  constructor(
    private readonly cwd: string = process.cwd(),
    private readonly list: (dir: string) => Iterable<string> = (dir) => readdirSync(dir),
  ) {}

  /** The entries of `dir` (empty when it does not exist). @throws the file system's error for anything but a missing folder. */
  entries(dir: string): Promise<ReadonlySet<string>> {
    let p = this.listings.get(dir);
    if (!p) {
      // Listed synchronously: a folder listing is one cheap system call, an asynchronous one a thread-pool round trip.
      try {
        const names = this.list(dir);
        p = Promise.resolve(names instanceof Set ? (names as ReadonlySet<string>) : new Set(names));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES') p = Promise.reject(e);
        else p = Promise.resolve(new Set<string>());
      }
      this.listings.set(dir, p);
    }
    return p;
  }

  private at(path: string): string {
    const rel = relative(this.cwd, path).split('\\').join('/');
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
  }

  /** The folders of the project of `dir`: `dir` and those above it up to the first with a package.json or `.git`. */
  private async projectDirs(dir: string): Promise<string[]> {
    const out: string[] = [];
    for (let d = dir; ; d = dirname(d)) {
      out.push(d);
      const names = await this.entries(d);
      if (names.has('package.json') || names.has('.git') || dirname(d) === d) return out;
    }
  }

  /** The nearest package.json at or above `dir` and its dependency names (all kinds). */
  private manifest(dir: string): Promise<{ path: string; deps: ReadonlySet<string> } | null> {
    let p = this.manifests.get(dir);
    if (!p) {
      p = (async () => {
        if ((await this.entries(dir)).has('package.json')) {
          const path = join(dir, 'package.json');
          let pkg: Record<string, unknown> = {};
          try {
            pkg = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
          } catch (e) {
            if (!(e instanceof SyntaxError)) throw e; // not JSON: no dependencies to read (npm itself refuses it)
          }
          const deps = new Set<string>();
          for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
            const v = pkg[field];
            if (v && typeof v === 'object') for (const k of Object.keys(v)) deps.add(k);
          }
          return { path, deps };
        }
        return dirname(dir) === dir ? null : this.manifest(dirname(dir));
      })();
      this.manifests.set(dir, p);
    }
    return p;
  }

  /** What the project around `dir` holds, once per folder. */
  private facts(dir: string): Promise<ProjectFacts> {
    let p = this.byDir.get(dir);
    if (!p) {
      p = (async () => {
        const found = new Map<string, string>();
        for (const d of await this.projectDirs(dir)) {
          const names = await this.entries(d);
          for (const marker of PROJECT_MARKERS) if (names.has(marker) && !found.has(marker)) found.set(marker, join(d, marker));
        }
        return { markers: found, manifest: await this.manifest(dir) };
      })();
      this.byDir.set(dir, p);
    }
    return p;
  }

  /**
   * The first of `packages` that the nearest package.json at or above `file`'s folder depends on,
   * with where that was read (`package.json (dependency \`ley\`)`); null when it names none.
   * @throws the file system's error for anything but a missing file or folder.
   */
  async dependency<T extends string>(file: string, packages: readonly T[]): Promise<{ pkg: T; detectedBy: string } | null> {
    const manifest = await this.manifest(dirname(file));
    const pkg = manifest ? packages.find((p) => manifest.deps.has(p)) : undefined;
    return pkg ? { pkg, detectedBy: `${this.at(manifest!.path)} (dependency \`${pkg}\`)` } : null;
  }

  /**
   * The runner the project's files show for the `.sql` migration `file`, or null when they show none.
   * @throws the file system's error for anything but a missing file or folder.
   */
  async detect(file: string): Promise<DetectedRunner | null> {
    const dir = dirname(file);
    const name = basename(file);
    const here = await this.entries(dir);
    if (name === 'migration.sql' && (await this.entries(dirname(dir))).has('migration_lock.toml')) {
      return { runner: 'prisma', detectedBy: this.at(join(dirname(dir), 'migration_lock.toml')) };
    }
    if (here.has('meta') && (await this.entries(join(dir, 'meta'))).has('_journal.json')) return { runner: 'drizzle', detectedBy: this.at(join(dir, 'meta', '_journal.json')) };
    const dieselName = name === 'up.sql' || name === 'down.sql';
    if (dieselName && here.has('metadata.toml')) return { runner: 'diesel', detectedBy: this.at(join(dir, 'metadata.toml')) };
    if (here.has(`${name}.conf`)) return { runner: 'flyway', detectedBy: this.at(join(dir, `${name}.conf`)) };
    // `<version>_<name>.up.sql` is golang-migrate's name too; beside files only pop names (`.postgres.up.sql`), it is pop's.
    if (GOLANG_MIGRATE_NAME.test(name) && !isPopOnlyName(name)) {
      let pop = this.popNames.get(dir);
      if (pop === undefined) this.popNames.set(dir, (pop = [...here].find(isPopOnlyName) ?? null));
      if (pop !== null) return { runner: 'pop', detectedBy: `${this.at(join(dir, pop))} beside it (a name only pop writes)` };
    }
    const { markers, manifest } = await this.facts(dir);
    const deps = manifest?.deps ?? new Set<string>();
    const dep = (pkg: string) => `${this.at(manifest!.path)} (dependency \`${pkg}\`)`;
    if (dieselName && markers.has('diesel.toml')) return { runner: 'diesel', detectedBy: this.at(markers.get('diesel.toml')!) };
    for (const f of ['flyway.conf', 'flyway.toml']) if (markers.has(f)) return { runner: 'flyway', detectedBy: this.at(markers.get(f)!) };
    if (basename(dir) === 'sqls' && /-(up|down)\.sql$/i.test(name)) {
      const wrapper = name.replace(/-(up|down)\.sql$/i, '.js');
      if (markers.has('database.json')) return { runner: 'db-migrate', detectedBy: this.at(markers.get('database.json')!) };
      if (deps.has('db-migrate')) return { runner: 'db-migrate', detectedBy: dep('db-migrate') };
      if ((await this.entries(dirname(dir))).has(wrapper)) return { runner: 'db-migrate', detectedBy: this.at(join(dirname(dir), wrapper)) };
    }
    for (const f of ['.gmrc', '.gmrc.js', '.gmrc.cjs']) if (markers.has(f)) return { runner: 'graphile-migrate', detectedBy: this.at(markers.get(f)!) };
    for (const pkg of ['graphile-migrate', 'dbmate', 'postgres-migrations', 'postgres-shift'] as const) if (deps.has(pkg)) return { runner: pkg, detectedBy: dep(pkg) };
    return null;
  }
}

interface ProjectFacts {
  /** Project-level marker files found, nearest first: name → path. */
  markers: ReadonlyMap<string, string>;
  manifest: { path: string; deps: ReadonlySet<string> } | null;
}

/**
 * The names of the files whose presence or content the runner detection (and the Prisma version,
 * prisma-version.ts) reads: an editor watches them and detects again when one changes.
 * `<script>.sql.conf` (Flyway) is matched by its suffix, see `isRunnerEvidence`.
 */
export const RUNNER_EVIDENCE_FILES = ['migration_lock.toml', '_journal.json', 'metadata.toml', 'diesel.toml', 'flyway.conf', 'flyway.toml', 'database.json', '.gmrc', '.gmrc.js', '.gmrc.cjs', 'package.json', 'package-lock.json', 'pnpm-lock.yaml', 'yarn.lock'] as const;

/** Whether a file of this path is one the runner detection reads (RUNNER_EVIDENCE_FILES, or a Flyway `.sql.conf`). */
export function isRunnerEvidence(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return (RUNNER_EVIDENCE_FILES as readonly string[]).includes(name) || name.endsWith('.sql.conf');
}

/** Files that name a runner for the whole project. */
const PROJECT_MARKERS = ['diesel.toml', 'flyway.conf', 'flyway.toml', 'database.json', '.gmrc', '.gmrc.js', '.gmrc.cjs'] as const;

/**
 * Configuration: found by walking up from each linted file (cosmiconfig), validated
 * with a schema (zod). Files: `miglint.config.{js,mjs,cjs,json}`, `.miglintrc[.json|.yaml|.yml|.js|.cjs|.mjs]`,
 * or a `"miglint"` key in package.json. The search stops at the first folder with a package.json.
 *
 * The search itself lists each folder once (a run over thousands of migrations in hundreds of
 * folders asks the file system once per folder, not once per candidate name), and loads the
 * loader library only when a candidate file exists.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z as Z } from 'zod';
import { DEFAULT_SETTINGS, SQL_RUNNERS, type LintSettings } from '../core/rule.js';

/** The migration directions miglint can lint. */
export const DIRECTIONS = ['up', 'down'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The default `maxFileSize`: 50 MiB, in bytes. */
export const DEFAULT_MAX_FILE_SIZE = 50 * 1024 * 1024;

/** The schema of a configuration file. zod is loaded only when a file is found (it costs ~70 ms). */
function makeSchema(z: typeof Z) {
  const severity = z.union([z.enum(['off', 'warn', 'error']), z.literal(0), z.literal(1), z.literal(2)]);
  const ruleEntry = z.union([severity, z.tuple([severity, z.record(z.string(), z.unknown())])]);
  const duration = z.string().regex(/^\d+(\.\d+)?\s*(us|ms|s|min|h|d)?$/, 'a duration such as 500ms, 5s or 2min');
  return z
    .object({
      pgVersion: z.number().int().min(10).max(19).optional(),
      sqlRunner: z.enum(SQL_RUNNERS).optional(),
      /** The Prisma version to assume when the project's package.json and lock files do not tell (e.g. `7.4.0`). */
      prismaVersion: z.string().regex(/^\d+(\.\d+){0,2}$/, 'a version such as 7.4.0').optional(),
      /** db-migrate's run options: `nonTransactional` when `db-migrate up` runs with `--non-transactional`. */
      dbMigrate: z.object({ nonTransactional: z.boolean().optional() }).strict().optional(),
      assumeInTransaction: z.boolean().optional(),
      /** `migrun` when migrun executes the migrations: it sets lock_timeout and statement_timeout itself. */
      runtime: z.enum(['migrun', 'framework']).optional(),
      lockTimeout: duration.optional(),
      statementTimeout: duration.optional(),
      rules: z.record(z.string(), ruleEntry).optional(),
      ignores: z.array(z.string()).optional(),
      /** Migrations up to this version or file name are not linted (see `isAfter` in lint/since.ts). */
      startAfter: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
      /** Which directions are linted: findings inside a direction not listed are dropped. */
      directions: z.array(z.enum(DIRECTIONS)).min(1, 'at least one of "up", "down"').optional(),
      /** Files larger than this many bytes are not read (an `unanalyzable-file` error). */
      maxFileSize: z.number().int().positive().optional(),
      /** Settings read by migrun (directory, timeouts); passed through as they are. */
      migrun: z.record(z.string(), z.unknown()).optional(),
    })
    .strict();
}

let schema: ReturnType<typeof makeSchema> | null = null;

export type ConfigFile = Z.infer<ReturnType<typeof makeSchema>>;
type SeverityValue = 'off' | 'warn' | 'error' | 0 | 1 | 2;

export type RuleSeverity = 'off' | 'warn' | 'error';

export interface ResolvedConfig {
  /** The file it came from, or null for defaults. */
  path: string | null;
  settings: LintSettings;
  rules: Record<string, { severity: RuleSeverity; options: Record<string, unknown> }>;
  ignores: string[];
  /** Migrations up to this version or name are not linted; null: all are. */
  startAfter: string | null;
  /** The directions linted (`directions`, default both); findings inside another direction's code are dropped. */
  directions: ReadonlySet<Direction>;
  /** The largest file read, in bytes (`maxFileSize`, default 50 MiB). */
  maxFileSize: number;
  migrun: Record<string, unknown>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function normalizeSeverity(s: SeverityValue): RuleSeverity {
  if (s === 0) return 'off';
  if (s === 1) return 'warn';
  if (s === 2) return 'error';
  return s;
}

/**
 * Turns a validated config file into settings.
 * @throws ConfigError when a rule id is unknown.
 */
export function resolveConfig(file: ConfigFile, path: string | null, knownRules: ReadonlySet<string>): ResolvedConfig {
  const rules: ResolvedConfig['rules'] = {};
  for (const [id, entry] of Object.entries(file.rules ?? {})) {
    if (!knownRules.has(id)) throw new ConfigError(`${path ?? 'configuration'}: unknown rule "${id}"`);
    const [sev, options] = Array.isArray(entry) ? entry : [entry, {}];
    rules[id] = { severity: normalizeSeverity(sev), options };
  }
  return {
    path,
    settings: {
      pgVersion: file.pgVersion ?? DEFAULT_SETTINGS.pgVersion,
      sqlRunner: file.sqlRunner ?? DEFAULT_SETTINGS.sqlRunner,
      ...(file.sqlRunner ? { sqlRunnerExplicit: true } : {}),
      ...(file.prismaVersion ? { prismaVersion: file.prismaVersion } : {}),
      ...(file.dbMigrate?.nonTransactional ? { dbMigrateNonTransactional: true } : {}),
      assumeInTransaction: file.assumeInTransaction ?? null,
      runtimeSetsTimeouts: file.runtime === 'migrun',
      lockTimeout: file.lockTimeout ?? DEFAULT_SETTINGS.lockTimeout,
      statementTimeout: file.statementTimeout ?? DEFAULT_SETTINGS.statementTimeout,
    },
    rules,
    ignores: file.ignores ?? [],
    startAfter: file.startAfter === undefined ? null : String(file.startAfter),
    directions: new Set(file.directions ?? DIRECTIONS),
    maxFileSize: file.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
    migrun: file.migrun ?? {},
  };
}

/** Validates raw config data. @throws ConfigError with every problem and where it is. */
export async function validateConfig(data: unknown, path: string): Promise<ConfigFile> {
  schema ??= makeSchema((await import('zod')).z);
  const r = schema.safeParse(data ?? {});
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
  throw new ConfigError(`invalid configuration in ${path}:\n${problems}`);
}

/**
 * The places a configuration is looked for in each folder, in order: cosmiconfig's own default
 * list for the name `miglint` (package.json counts only when it has a `"miglint"` key).
 */
export const CONFIG_SEARCH_PLACES = [
  'package.json',
  '.miglintrc',
  '.miglintrc.json',
  '.miglintrc.yaml',
  '.miglintrc.yml',
  '.miglintrc.js',
  '.miglintrc.ts',
  '.miglintrc.cjs',
  '.miglintrc.mjs',
  '.config/miglintrc',
  '.config/miglintrc.json',
  '.config/miglintrc.yaml',
  '.config/miglintrc.yml',
  '.config/miglintrc.js',
  '.config/miglintrc.ts',
  '.config/miglintrc.cjs',
  '.config/miglintrc.mjs',
  'miglint.config.js',
  'miglint.config.ts',
  'miglint.config.cjs',
  'miglint.config.mjs',
] as const;

/**
 * The `"miglint"` key of a package.json: `'skip'` when it has none (or is empty, or unreadable),
 * `'defer'` when it is not JSON (the loader library then reports it as it always has).
 */
function packageJsonConfig(path: string): Found | 'skip' | 'defer' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'skip'; // a folder or an unreadable file of that name: cosmiconfig passes over it too
  }
  if (text.trim() === '') return 'skip';
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch {
    return 'defer';
  }
  const config = pkg !== null && typeof pkg === 'object' ? (pkg as Record<string, unknown>)['miglint'] : undefined;
  return config === undefined || config === null ? 'skip' : { filepath: path, config };
}

/** A loaded configuration file: its path and its content (undefined when empty). */
interface Found {
  filepath: string;
  config: unknown;
}

type Explorer = ReturnType<typeof import('cosmiconfig').cosmiconfig>;

/** A folder's names when it cannot be listed: none. */
const NO_NAMES: ReadonlySet<string> = new Set();

/** Finds, loads and caches the configuration that applies to files in each directory. */
export class ConfigLoader {
  private explorer: Promise<Explorer> | null = null;
  /** Directory → the configuration of its files. */
  private readonly cache = new Map<string, Promise<ResolvedConfig>>();
  /** Configuration file (or '' for none) → the resolved configuration, shared by every directory it applies to. */
  private readonly resolved = new Map<string, Promise<ResolvedConfig>>();
  /** Directory → the configuration file found from it (searching up), or null. */
  private readonly searches = new Map<string, Promise<Found | null>>();
  /** Directory → its names, or the error listing it gave (see `listDir`). */
  private readonly listings = new Map<string, ReadonlySet<string> | Error>();

  constructor(
    private readonly knownRules: ReadonlySet<string>,
    /** An explicit `--config` file: used for every file instead of searching. */
    private readonly explicit: string | null = null,
  ) {}

  /** The `--config` file used for every file, or null when the configuration is searched per file. */
  get explicitPath(): string | null {
    return this.explicit;
  }

  /** @throws ConfigError when the file cannot be read or is invalid. */
  forFile(file: string): Promise<ResolvedConfig> {
    // Asked several times for every file of a run: an absolute path's folder needs no resolve() (a path
    // with `..` in it only gets a cache entry of its own, found the same way).
    const dir = this.explicit ? '<explicit>' : dirname(isAbsolute(file) ? file : resolve(file));
    let p = this.cache.get(dir);
    if (!p) {
      p = this.load(dir);
      this.cache.set(dir, p);
    }
    return p;
  }

  private async load(dir: string): Promise<ResolvedConfig> {
    let found: Found | null;
    try {
      if (this.explicit) {
        const r = await (await this.loaderLibrary()).load(resolve(this.explicit));
        found = r && !r.isEmpty ? { filepath: r.filepath, config: r.config } : r ? { filepath: r.filepath, config: undefined } : null;
      } else {
        found = await this.search(dir);
      }
    } catch (e) {
      throw new ConfigError(`cannot read configuration${this.explicit ? ` ${this.explicit}` : ''}: ${(e as Error).message}`);
    }
    const key = found?.filepath ?? '';
    let p = this.resolved.get(key);
    if (!p) {
      p = (async () => (found === null || found.config === undefined ? resolveConfig({}, found?.filepath ?? null, this.knownRules) : resolveConfig(await validateConfig(found.config, found.filepath), found.filepath, this.knownRules)))();
      this.resolved.set(key, p);
    }
    return p;
  }

  private loaderLibrary(): Promise<Explorer> {
    this.explorer ??= import('cosmiconfig').then(({ cosmiconfig }) => cosmiconfig('miglint', { searchStrategy: 'none' }));
    return this.explorer;
  }

  /**
   * The names in `dir`, listed once per loader: the configuration search and the runner detection of
   * the loader's files (src/lint/run.ts `configForFile`) ask about the same folders.
   * @throws the error listing `dir` gave, each time it is asked.
   */
  listDir(dir: string): ReadonlySet<string> {
    let names = this.listings.get(dir);
    if (names === undefined) {
      try {
        names = new Set(readdirSync(dir));
      } catch (e) {
        names = e instanceof Error ? e : new Error(String(e));
      }
      this.listings.set(dir, names);
    }
    if (names instanceof Error) throw names;
    return names;
  }

  /** The names in `dir` (empty when it cannot be listed). */
  private entries(dir: string): ReadonlySet<string> {
    try {
      return this.listDir(dir);
    } catch {
      return NO_NAMES; // a folder that cannot be listed holds no configuration we can read (cosmiconfig skips it the same way)
    }
  }

  /**
   * The first configuration found in `dir` or a folder above it, up to the first folder with a
   * package.json (or package.yaml): the search cosmiconfig's `project` strategy makes. A candidate
   * that is empty, a folder, or unreadable is passed over as cosmiconfig does.
   */
  private search(dir: string): Promise<Found | null> {
    let p = this.searches.get(dir);
    if (!p) {
      p = (async () => {
        const names = this.entries(dir);
        const inConfigDir = names.has('.config') ? this.entries(join(dir, '.config')) : null;
        for (const place of CONFIG_SEARCH_PLACES) {
          const here = place.startsWith('.config/') ? inConfigDir?.has(place.slice('.config/'.length)) : names.has(place);
          if (!here) continue;
          if (place === 'package.json') {
            // Read here, without the loader library, as it is in most projects and seldom holds the key.
            const own = packageJsonConfig(join(dir, place));
            if (own === 'skip') continue;
            if (own !== 'defer') return own;
          }
          let r;
          try {
            r = await (await this.loaderLibrary()).load(join(dir, place));
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' || code === 'EACCES') continue;
            throw e;
          }
          if (r && !r.isEmpty) return { filepath: r.filepath, config: r.config };
        }
        const parent = dirname(dir);
        if (names.has('package.json') || names.has('package.yaml') || parent === dir) return null;
        return this.search(parent);
      })();
      this.searches.set(dir, p);
    }
    return p;
  }
}

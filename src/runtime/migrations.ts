/**
 * The migration directory: `.sql` files and TS/JS modules exporting `up(ctx)`,
 * ordered by their numeric version prefix (`001_create.sql`, `20240101120000-add.ts`).
 *
 * Modules: `.js`, `.mjs`, `.cjs` are imported as they are; `.ts` and `.mts` are
 * transpiled with the `typescript` package's `transpileModule` (imported lazily:
 * it is a development dependency) to a temporary `.mjs` beside the source, so
 * its relative and package imports resolve as they would from the source.
 * A module's checksum covers its own file only, not what it imports.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { initSqlParser } from '../sql/parse.js';
import { UsageError, type PlanProblem } from './errors.js';
import { planSql, type SqlPlan } from './planner.js';

export interface MigrationFile {
  /** The numeric prefix as written, e.g. `001`. */
  version: string;
  /** The file name without the version and extension, e.g. `create_users`. */
  name: string;
  /** Absolute path. */
  path: string;
  /** Path relative to the working directory, for messages. */
  display: string;
  kind: 'sql' | 'module';
  /** sha256 of the file's bytes, hex. */
  checksum: string;
  text: string;
}

/** What a TS/JS migration's `up` receives; see context.ts for the full shape. */
export type UpFunction = (ctx: never) => unknown;

export interface LoadedMigration extends MigrationFile {
  /** The plan of a `.sql` migration. */
  plan?: SqlPlan;
  /** The `up` of a module. */
  up?: UpFunction;
}

const PATTERN = /^(\d+)(?:[_\-.]+(.*))?\.(sql|js|mjs|cjs|ts|mts)$/;
const SKIP = /\.d\.(m|c)?ts$|^\.|\.migrun-[0-9a-f]+\.mjs$/;

/**
 * Lists the migrations of `dir`, ordered by version (numerically).
 * Files with other extensions are ignored.
 * @throws UsageError when the directory is missing, a migration file has no
 *   version prefix, or two files share a version.
 */
export async function discoverMigrations(dir: string, cwd = process.cwd()): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error();
    entries = await readdir(dir);
  } catch {
    throw new UsageError(`migration directory ${relative(cwd, dir) || dir} does not exist or is not a directory`);
  }
  const out: MigrationFile[] = [];
  const bad: string[] = [];
  for (const entry of entries.sort()) {
    if (SKIP.test(entry)) continue;
    const ext = extname(entry).slice(1);
    if (!['sql', 'js', 'mjs', 'cjs', 'ts', 'mts'].includes(ext)) continue;
    const m = PATTERN.exec(entry);
    if (!m) {
      bad.push(entry);
      continue;
    }
    const path = join(dir, entry);
    const bytes = await readFile(path);
    out.push({
      version: m[1]!,
      name: m[2] ?? '',
      path,
      display: relative(cwd, path) || path,
      kind: ext === 'sql' ? 'sql' : 'module',
      checksum: createHash('sha256').update(bytes).digest('hex'),
      text: bytes.toString('utf8'),
    });
  }
  if (bad.length) throw new UsageError(`migration files need a numeric version prefix (001_name.sql): ${bad.join(', ')}`);
  out.sort((a, b) => compareVersions(a.version, b.version));
  for (let i = 1; i < out.length; i++) {
    if (compareVersions(out[i - 1]!.version, out[i]!.version) === 0) {
      throw new UsageError(`two migrations share version ${out[i]!.version}: ${basename(out[i - 1]!.path)} and ${basename(out[i]!.path)}`);
    }
  }
  return out;
}

/** Numeric order of version prefixes (`9` before `10`; `001` equals `1`). */
export function compareVersions(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Plans every SQL migration and loads every module, collecting all problems.
 * Nothing touches a database.
 */
export async function loadMigrations(files: MigrationFile[]): Promise<{ migrations: LoadedMigration[]; problems: PlanProblem[] }> {
  await initSqlParser();
  const problems: PlanProblem[] = [];
  const migrations: LoadedMigration[] = [];
  for (const f of files) {
    if (f.kind === 'sql') {
      const outcome = planSql(f.text, f.display);
      if (outcome.ok) migrations.push({ ...f, plan: outcome.plan });
      else problems.push(...outcome.problems);
      continue;
    }
    try {
      migrations.push({ ...f, up: await loadModule(f) });
    } catch (e) {
      problems.push({ where: f.display, message: (e as Error).message });
    }
  }
  return { migrations, problems };
}

/** Imports a module migration and returns its `up`. */
async function loadModule(f: MigrationFile): Promise<UpFunction> {
  const ext = extname(f.path);
  let mod: Record<string, unknown>;
  if (ext === '.ts' || ext === '.mts') mod = await importTypeScript(f);
  else mod = (await import(`${pathToFileURL(f.path).href}?v=${f.checksum.slice(0, 16)}`)) as Record<string, unknown>;
  const up = (typeof mod.up === 'function' ? mod.up : (mod.default as Record<string, unknown> | undefined)?.up) as UpFunction | undefined;
  if (typeof up !== 'function') throw new Error('exports no up(ctx) function');
  return up;
}

const requireHere = createRequire(import.meta.url);

interface TsApi {
  transpileModule(input: string, options: { compilerOptions: Record<string, unknown>; fileName: string; reportDiagnostics: boolean }): {
    outputText: string;
    diagnostics?: { messageText: string | { messageText: string }; start?: number }[];
  };
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
}

async function importTypeScript(f: MigrationFile): Promise<Record<string, unknown>> {
  let ts: TsApi;
  try {
    // Required, not imported: the compiler is one 9 MB CommonJS file, which an ESM import first scans
    // for its export names (about 0.2 s of CPU); a require compiles it, from the compile cache when on.
    ts = requireHere('typescript') as TsApi;
  } catch {
    throw new Error('is TypeScript, and the "typescript" package is not installed: install it (npm i -D typescript) or compile migrations to .js');
  }
  const out = ts.transpileModule(f.text, {
    // An inline source map (sources resolved from the original directory) lets stack frames, and so the
    // locations of ctx calls in plans and errors, point into the .ts file wherever the compiled copy is written.
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true, sourceRoot: `${pathToFileURL(dirname(f.path)).href}/` },
    fileName: f.path,
    reportDiagnostics: true,
  });
  const diag = out.diagnostics?.[0];
  if (diag) {
    const msg = typeof diag.messageText === 'string' ? diag.messageText : diag.messageText.messageText;
    const before = f.text.slice(0, diag.start ?? 0).split('\n');
    throw new Error(`syntax error at line ${before.length}, column ${before[before.length - 1]!.length + 1}: ${msg}`);
  }
  const tag = randomBytes(6).toString('hex');
  let target = join(dirname(f.path), `.${basename(f.path)}.migrun-${tag}.mjs`);
  try {
    await writeFile(target, out.outputText);
  } catch {
    const { tmpdir } = await import('node:os');
    target = join(tmpdir(), `.${basename(f.path)}.migrun-${tag}.mjs`);
    await writeFile(target, out.outputText);
  }
  process.setSourceMapsEnabled(true);
  try {
    return (await import(pathToFileURL(target).href)) as Record<string, unknown>;
  } finally {
    await rm(target, { force: true });
  }
}

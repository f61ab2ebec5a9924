/**
 * `miglint init [--pre-commit]`: writes a starter `.miglintrc.json` for the project in the
 * working directory, with the settings that apply to the migration tools it finds, and
 * with `--pre-commit` a `miglint` hook in `.pre-commit-config.yaml`.
 *
 * Detection reads the project's package.json dependencies, its Python manifests
 * (requirements*.txt, pyproject.toml, setup.py/setup.cfg, Pipfile, alembic.ini, manage.py) and
 * asks the same runner detection `miglint` itself uses (src/sources/runner-detect.ts: Prisma's
 * migration_lock.toml, drizzle's journal, diesel, Flyway, db-migrate, graphile-migrate, the
 * dependencies; then the file's own markers and names, src/sources/sql-runners.ts); it never
 * runs anything.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { glob } from 'tinyglobby';
import type { SqlRunner } from '../core/rule.js';
import { DEFAULT_SETTINGS } from '../core/rule.js';
import { DEFAULT_IGNORES } from '../lint/discover.js';
import { isMigrationSource, supportedExtensions } from '../sources/index.js';
import { frontendById } from '../sources/registry.js';
import { RunnerDetector } from '../sources/runner-detect.js';
import { effectiveRunner } from '../sources/sql-runners.js';
import { initSqlParser, parseSql } from '../sql/parse.js';
import { parseArgs, type CliOutput } from './args.js';

/** Migration runners that are no framework module of their own (they call the migrations of several), by package. */
const RUNNER_PACKAGES: Record<string, string> = { umzug: 'umzug' };

/**
 * The TS/JS frameworks (and runners) the project's package.json dependencies name, by the names
 * miglint gives them, in the frontend's order: `frameworks` of the TS/JS frontend (registry.ts),
 * then RUNNER_PACKAGES.
 */
function npmFrameworks(deps: Record<string, string>): string[] {
  const labels = (frontendById('ts')?.frameworks ?? []).filter((f) => f.packages.some((p) => p in deps)).map((f) => f.name);
  for (const [pkg, label] of Object.entries(RUNNER_PACKAGES)) if (pkg in deps) labels.push(label);
  return labels;
}

/** Files at a project's root that show a Python framework without a manifest naming it, by framework id. */
const PYTHON_MARKERS: Record<string, string> = { alembic: 'alembic.ini', django: 'manage.py' };
/** Python manifests that list a project's dependencies. */
const PYTHON_MANIFESTS = ['pyproject.toml', 'setup.py', 'setup.cfg', 'Pipfile'];
/** How many `.sql` files detection reads at most (the first that shows a runner decides). */
const SQL_FILES_READ = 200;

export interface Detected {
  frameworks: string[];
  /** The SQL runner the `.sql` migrations are run by, with what showed it; null when none was found. */
  sqlRunner: { runner: SqlRunner; evidence: string } | null;
  /** Directories that hold migrations (relative, `/` separators). */
  migrationDirs: string[];
}

/** What the project in `dir` uses. @throws SyntaxError when its package.json is not JSON. */
export async function detectProject(dir: string): Promise<Detected> {
  const pkgPath = join(dir, 'package.json');
  const pkg = existsSync(pkgPath) ? (JSON.parse(readFileSync(pkgPath, 'utf8')) as Record<string, any>) : null;
  const deps = { ...(pkg?.dependencies ?? {}), ...(pkg?.devDependencies ?? {}) } as Record<string, string>;
  const python = pythonLibraries(dir);
  const frameworks = [...npmFrameworks(deps), ...python];
  const kinds = `*.{${supportedExtensions().map((e) => e.slice(1)).join(',')}}`;
  // Alembic keeps its revisions in `<script_location>/versions/`.
  const patterns = [`**/migrations/**/${kinds}`, `**/migration/**/${kinds}`, '**/db/migrate/**/*.sql', ...(python.includes('Alembic') ? ['**/versions/*.py'] : [])];
  const files = (await glob(patterns, { cwd: dir, ignore: DEFAULT_IGNORES })).filter(isMigrationSource).sort();
  return { frameworks, sqlRunner: await detectSqlRunner(dir, files), migrationDirs: dirsOf(files) };
}

/**
 * The Python frameworks (and libraries) the project's manifests name by one of their packages
 * (`frameworks` of the Python frontend, registry.ts), or whose marker file (alembic.ini, manage.py)
 * it has, by the names miglint gives them, in the frontend's order.
 */
function pythonLibraries(dir: string): string[] {
  const texts: string[] = [];
  for (const f of readdirSync(dir)) if (/^requirements.*\.(txt|in)$/i.test(f) || PYTHON_MANIFESTS.includes(f)) texts.push(readFileSync(join(dir, f), 'utf8').toLowerCase());
  const text = texts.join('\n');
  // A distribution name as a whole word: `sqlalchemy` is not found inside `flask-sqlalchemy`, `django` not inside `django-extensions`.
  const named = (pkg: string) => new RegExp(`(^|[^a-z0-9_.-])${pkg.replace(/[-_.]/g, '[-_.]')}(?![a-z0-9_.-])`, 'm').test(text);
  const marked = (framework: string) => PYTHON_MARKERS[framework] !== undefined && existsSync(join(dir, PYTHON_MARKERS[framework]));
  return (frontendById('python')?.frameworks ?? []).filter((f) => f.packages.some(named) || marked(f.framework)).map((f) => f.name);
}

/** The migration directories of the files found: each file's directory, or its parent for one-directory-per-migration runners. */
function dirsOf(files: string[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    parts.pop();
    // diesel's `migrations/2024-01-01-000000_x/up.sql`, Prisma's `migrations/<timestamp>_x/migration.sql`
    if (parts.length > 1 && /^\d/.test(parts[parts.length - 1]!)) parts.pop();
    dirs.add(parts.join('/'));
  }
  return [...dirs].sort();
}

/**
 * The runner of the project's `.sql` migrations: the first file (in path order) for which the
 * project's files or the file itself show one; `psql` when there are `.sql` files and none does.
 * @throws the file system's error for an unreadable file or folder.
 */
async function detectSqlRunner(dir: string, files: string[]): Promise<Detected['sqlRunner']> {
  const sql = files.filter((f) => f.endsWith('.sql'));
  if (!sql.length) return null;
  const detector = new RunnerDetector(dir);
  await initSqlParser();
  for (const f of sql.slice(0, SQL_FILES_READ)) {
    const found = await detector.detect(join(dir, f));
    if (found) return { runner: found.runner, evidence: found.detectedBy };
    const text = readFileSync(join(dir, f), 'utf8');
    const choice = effectiveRunner(f, text, parseSql(text).comments, DEFAULT_SETTINGS);
    if (choice.runner !== DEFAULT_SETTINGS.sqlRunner) return { runner: choice.runner, evidence: `${f}: ${choice.why}` };
  }
  return { runner: DEFAULT_SETTINGS.sqlRunner, evidence: 'plain .sql files (run with psql)' };
}

/** The starter configuration for what was detected. */
export function starterConfig(d: Detected): Record<string, unknown> {
  return {
    pgVersion: DEFAULT_SETTINGS.pgVersion,
    ...(d.sqlRunner ? { sqlRunner: d.sqlRunner.runner } : {}),
    lockTimeout: DEFAULT_SETTINGS.lockTimeout,
    statementTimeout: DEFAULT_SETTINGS.statementTimeout,
    rules: {},
  };
}

/** The pre-commit hook (a local hook running the project's own miglint), as YAML lines. */
export function preCommitHook(d: Detected): string {
  const files = d.migrationDirs.length ? `^(${d.migrationDirs.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})/` : 'migrations?/';
  return ['  - repo: local', '    hooks:', '      - id: miglint', '        name: miglint', '        entry: npx miglint', '        language: system', `        files: '${files}'`, "        types_or: [sql, ts, javascript, python]", ''].join('\n');
}

export interface InitResult {
  written: string[];
  messages: string[];
}

/**
 * Writes the starter files into `dir`. An existing `.miglintrc.json` is never overwritten;
 * an existing `.pre-commit-config.yaml` gets the hook appended unless it has one.
 */
export async function init(dir: string, options: { preCommit: boolean }): Promise<InitResult> {
  const d = await detectProject(dir);
  const out: InitResult = { written: [], messages: [] };
  out.messages.push(`frameworks: ${d.frameworks.join(', ') || 'none found in package.json'}`);
  out.messages.push(`SQL runner: ${d.sqlRunner ? `${d.sqlRunner.runner} (from ${d.sqlRunner.evidence})` : 'no .sql migrations found'}`);
  out.messages.push(`migration directories: ${d.migrationDirs.join(', ') || 'none found'}`);
  const configPath = join(dir, '.miglintrc.json');
  if (existsSync(configPath)) out.messages.push('.miglintrc.json exists: left as it is');
  else {
    writeFileSync(configPath, `${JSON.stringify(starterConfig(d), null, 2)}\n`);
    out.written.push('.miglintrc.json');
  }
  if (options.preCommit) {
    const path = join(dir, '.pre-commit-config.yaml');
    const existing = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (existing && /id:\s*miglint\b/.test(existing)) out.messages.push('.pre-commit-config.yaml already has a miglint hook');
    else {
      const body = existing === null ? `repos:\n${preCommitHook(d)}` : `${existing.replace(/\n*$/, '\n')}${/^repos:/m.test(existing) ? '' : 'repos:\n'}${preCommitHook(d)}`;
      writeFileSync(path, body);
      out.written.push('.pre-commit-config.yaml');
    }
  }
  return out;
}

/** `miglint init [--pre-commit]` as a command: prints what it found and wrote; returns the exit code. */
export async function initCommand(argv: string[], io: CliOutput, cwd: string): Promise<number> {
  const { Command } = await import('commander');
  const program = new Command('miglint init')
    .description('write a starter .miglintrc.json for this project (and a pre-commit hook)')
    .option('--pre-commit', 'also add a miglint hook to .pre-commit-config.yaml');
  const code = parseArgs(program, argv, io);
  if (code !== null) return code;
  let result: InitResult;
  try {
    result = await init(cwd, { preCommit: !!program.opts().preCommit });
  } catch (e) {
    io.stderr.write(`miglint init: ${(e as Error).message}\n`);
    return 2;
  }
  for (const m of result.messages) io.stdout.write(`${m}\n`);
  for (const w of result.written) io.stdout.write(`wrote ${w}\n`);
  return 0;
}

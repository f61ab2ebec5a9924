/**
 * What the files beside a `.sql` migration say about how it runs:
 * - diesel: `run_in_transaction = false` in the migration directory's `metadata.toml`;
 * - Flyway: `executeInTransaction=false` in `<script>.sql.conf` (a Java properties file);
 * - Prisma Migrate: which version the project depends on (prisma-version.ts), which decides
 *   whether migration.sql is one query string or statement by statement;
 * and, when the configuration does not name the runner, which runner it is (runner-detect.ts);
 * for a TS/JS migration, whether the project depends on a tool that calls its functions in a
 * transaction of its own (ley, postgres-shift: `codeRunner`).
 * Reading them lets the `.sql` frontend know a migration runs outside a transaction,
 * which is what the index fixes tell users of these runners to do.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CODE_RUNNERS, type LintSettings, type RunnerMetadata } from '../core/rule.js';
import { prismaExecution } from './prisma-version.js';
import { RunnerDetector } from './runner-detect.js';

function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** The TOML parser, loaded on the first diesel migration (a dynamic import per file costs a module resolution each time). */
let tomlParser: Promise<typeof import('smol-toml')> | null = null;

/** `run_in_transaction` from diesel's metadata.toml text; null when unset or not a boolean. */
export async function dieselRunInTransaction(toml: string): Promise<boolean | null> {
  const { parse } = await (tomlParser ??= import('smol-toml'));
  try {
    const value = parse(toml)['run_in_transaction'];
    return typeof value === 'boolean' ? value : null;
  } catch {
    return null; // diesel itself rejects a malformed metadata.toml; that is not ours to report.
  }
}

/** `executeInTransaction` from a Flyway script configuration (properties: `key=value` lines, `#`/`!` comments). */
export function flywayExecuteInTransaction(conf: string): boolean | null {
  let found: boolean | null = null;
  for (const line of conf.split(/\r?\n/)) {
    const m = /^\s*executeInTransaction\s*[=:]\s*(\S+)\s*$/.exec(line);
    if (m) found = m[1]!.toLowerCase() === 'true' ? true : m[1]!.toLowerCase() === 'false' ? false : found;
  }
  return found;
}

/**
 * What the project says about how the `.sql` migration `file` runs: its runner (detected by `detector`
 * unless the configuration names one), the transaction setting beside it for diesel and Flyway, and
 * for Prisma Migrate how the Prisma version the project depends on runs it.
 * For a TS/JS file, the tool of `CODE_RUNNERS` the nearest package.json depends on, if any.
 * @returns null for other files, or when nothing beside the file says anything.
 * @throws the file system's error for anything but a missing file.
 */
export async function readRunnerMetadata(file: string, settings: LintSettings, detector: RunnerDetector = new RunnerDetector()): Promise<RunnerMetadata | null> {
  if (/\.[cm]?[jt]s$/i.test(file)) {
    const found = await detector.dependency(file, CODE_RUNNERS);
    return found ? { codeRunner: { name: found.pkg, detectedBy: found.detectedBy } } : null;
  }
  if (!file.toLowerCase().endsWith('.sql')) return null;
  let runner = settings.sqlRunner;
  const meta: RunnerMetadata = {};
  if (runner === 'psql' && !settings.sqlRunnerExplicit) {
    const found = await detector.detect(file);
    if (found) {
      runner = found.runner;
      meta.runner = found.runner;
      meta.detectedBy = found.detectedBy;
    }
  }
  if (runner === 'prisma') meta.prisma = await prismaExecution(dirname(dirname(file)), settings.prismaVersion ?? null, process.cwd());
  if (runner === 'diesel') {
    const text = await readIfExists(join(dirname(file), 'metadata.toml'));
    const value = text === null ? null : await dieselRunInTransaction(text);
    if (value !== null) Object.assign(meta, { inTransaction: value, reason: `metadata.toml sets \`run_in_transaction = ${value}\`` });
  }
  if (runner === 'flyway') {
    const text = await readIfExists(`${file}.conf`);
    const value = text === null ? null : flywayExecuteInTransaction(text);
    if (value !== null) Object.assign(meta, { inTransaction: value, reason: `${basename(file)}.conf sets \`executeInTransaction=${value}\`` });
  }
  return Object.keys(meta).length > 0 ? meta : null;
}

/**
 * What the files beside a `.sql` migration say about how it runs:
 * - diesel: `run_in_transaction = false` in the migration directory's `metadata.toml`;
 * - Flyway: `executeInTransaction=false` in `<script>.sql.conf` (a Java properties file);
 * - Prisma Migrate: a `<migrations>/<name>/migration.sql` with `migration_lock.toml` in
 *   `<migrations>` is Prisma's, which sends the file as one query string.
 * Reading them lets the `.sql` frontend know a migration runs outside a transaction,
 * which is what the index fixes tell users of these runners to do.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { LintSettings, RunnerMetadata } from '../core/rule.js';

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

/** `run_in_transaction` from diesel's metadata.toml text; null when unset or not a boolean. */
export async function dieselRunInTransaction(toml: string): Promise<boolean | null> {
  const { parse } = await import('smol-toml');
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
 * Reads the runner's setting for the `.sql` migration `file`, for the configured runner
 * (and Prisma's layout when the configuration leaves the default runner).
 * @returns null for other runners, other files, or when the file beside it is absent or silent.
 * @throws the file system's error for anything but a missing file.
 */
export async function readRunnerMetadata(file: string, settings: LintSettings): Promise<RunnerMetadata | null> {
  if (!file.toLowerCase().endsWith('.sql')) return null;
  if ((settings.sqlRunner === 'psql' || settings.sqlRunner === 'prisma') && basename(file) === 'migration.sql') {
    const lock = await readIfExists(join(dirname(dirname(file)), 'migration_lock.toml'));
    if (lock !== null) return { runner: 'prisma', inTransaction: false, reason: 'Prisma Migrate sends migration.sql as one query string, without a transaction block of its own' };
  }
  if (settings.sqlRunner === 'diesel') {
    const text = await readIfExists(join(dirname(file), 'metadata.toml'));
    const value = text === null ? null : await dieselRunInTransaction(text);
    return value === null ? null : { inTransaction: value, reason: `metadata.toml sets \`run_in_transaction = ${value}\`` };
  }
  if (settings.sqlRunner === 'flyway') {
    const text = await readIfExists(`${file}.conf`);
    const value = text === null ? null : flywayExecuteInTransaction(text);
    return value === null ? null : { inTransaction: value, reason: `${basename(file)}.conf sets \`executeInTransaction=${value}\`` };
  }
  return null;
}

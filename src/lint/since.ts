/**
 * Which migrations to report: `--since <git-ref>` (only files added or changed since
 * the ref, and untracked ones) and the configuration's `startAfter` (migrations up to a
 * version or file name are not linted, as strong_migrations' `start_after`).
 *
 * miglint analyses each migration on its own, so reporting only the changed files loses
 * no context; the other files are simply not read.
 */
import { basename, dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { realpathSync } from 'node:fs';
import type { ConfigLoader } from '../config/index.js';
import { UsageError } from './discover.js';

async function git(cwd: string, args: string[]): Promise<string> {
  // Loaded here, not at the top: a run without --since never starts a process, and loading
  // child_process (with net and stream) was 4 ms of a one-file run.
  const run = promisify((await import('node:child_process')).execFile);
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as { stderr?: string; code?: string | number; message: string };
    if (err.code === 'ENOENT') throw new UsageError('--since needs git, which was not found on PATH');
    throw new GitError((err.stderr || err.message).trim());
  }
}

class GitError extends Error {}

/**
 * The absolute paths of files added, copied, modified or renamed (the new name) between
 * the merge base of `ref` and HEAD and the working tree, plus untracked files that are not
 * ignored. Deleted files are not listed.
 * @throws UsageError outside a git repository, when `ref` is unknown (in a shallow clone:
 *   with what to fetch), or when it shares no history with HEAD.
 */
export async function changedSince(ref: string, cwd: string): Promise<Set<string>> {
  let top: string;
  try {
    top = (await git(cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch (e) {
    if (e instanceof GitError) throw new UsageError(`--since ${ref}: ${cwd} is not in a git repository`);
    throw e;
  }
  try {
    await git(top, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    const shallow = (await git(top, ['rev-parse', '--is-shallow-repository'])).trim() === 'true';
    throw new UsageError(
      `--since ${ref}: no such commit in this repository` +
        (shallow ? ` (it is a shallow clone: fetch the ref, e.g. \`git fetch --depth=50 origin ${ref.replace(/^origin\//, '')}\`, or check out with fetch-depth: 0)` : ''),
    );
  }
  let base: string;
  try {
    base = (await git(top, ['merge-base', ref, 'HEAD'])).trim();
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    throw new UsageError(`--since ${ref}: it has no common history with HEAD here (in a shallow clone, fetch more history: \`git fetch --deepen=100\` or fetch-depth: 0)`);
  }
  const changed = await git(top, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=ACMRT', base]);
  const untracked = await git(top, ['ls-files', '-z', '--others', '--exclude-standard']);
  const files = new Set<string>();
  for (const name of `${changed}${untracked}`.split('\0')) if (name) files.add(resolve(top, name));
  return files;
}

/**
 * Whether a migration comes after `startAfter`. A value of digits compares with the
 * file name's leading version digits as numbers (`20240101120000_add_x.sql` has version
 * 20240101120000; Flyway's `V12__x.sql` has 12); other values compare with the file name
 * without its extension, as text. A file with no version when the value is a version is
 * linted (it cannot be placed).
 */
export function isAfter(file: string, startAfter: string): boolean {
  const name = migrationName(file);
  if (/^\d+$/.test(startAfter)) {
    const m = VERSION.exec(name);
    return !m || BigInt(m[1]!) > BigInt(startAfter);
  }
  return name > startAfter.replace(/\.[^.]+$/, '');
}

const VERSION = /^[VU]?(\d+)/i;

/**
 * A migration's name: the file name without its extension, or, for runners that keep one
 * migration per directory (`2024-01-01-000000_x/up.sql`, Prisma's `<timestamp>_x/migration.sql`),
 * the directory's name when the file's own name has no version.
 */
function migrationName(file: string): string {
  const own = basename(file).replace(/\.[^.]+$/, '');
  const dir = basename(dirname(file));
  return !VERSION.test(own) && VERSION.test(dir) ? dir : own;
}

/**
 * The discovered files to lint: those after their configuration's `startAfter`, and with
 * `since`, those `changedSince` it.
 * @throws UsageError as `changedSince` does.
 */
export async function selectFiles(files: string[], loader: ConfigLoader, options: { since: string | null; cwd: string }): Promise<string[]> {
  const changed = options.since === null ? null : await changedSince(options.since, options.cwd);
  const out: string[] = [];
  for (const file of files) {
    if (changed && !changed.has(realpathSync(file))) continue;
    const { startAfter } = await loader.forFile(file);
    if (startAfter !== null && !isAfter(file, startAfter)) continue;
    out.push(file);
  }
  return out;
}

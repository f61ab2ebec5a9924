/**
 * File discovery: explicit files, directories (searched for migration sources) and
 * glob patterns, minus the usual ignores, `.miglintignore` (gitignore syntax) and
 * the configuration's `ignores`. Each file is listed once, however many paths reach
 * it (symbolic links, a loop of them, a file named and also walked).
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Ignore } from 'ignore';
import { isMigrationSource, supportedExtensions } from '../sources/index.js';
import { fileKind } from './read.js';
import { otherDatabaseByName } from '../sources/sql-runners.js';

/** Folders a directory walk never enters. */
const IGNORED_DIRS = ['node_modules', '.git', 'dist', 'build', 'coverage'];
export const DEFAULT_IGNORES = [...IGNORED_DIRS.map((d) => `**/${d}/**`), '**/*.d.ts', '**/*.min.js'];
/** Every file some registered frontend reads, e.g. `**\/*.{sql,ts,...}`. */
const sourceGlob = () => {
  const exts = supportedExtensions().map((e) => e.slice(1));
  return exts.length === 1 ? `**/*.${exts[0]}` : `**/*.{${exts.join(',')}}`;
};

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface DiscoverOptions {
  /** Receives `--debug` lines: files a walk skipped (not regular files) and paths that name a file already listed. */
  debug?: ((message: string) => void) | null;
  /** Filled with the listed files that discovery's stat found regular (for `readSource`'s `seenRegular`). */
  regular?: Set<string>;
}

/**
 * The files to lint, absolute, sorted, each file once: two paths with the same real
 * path (after symbolic links) are one file, listed under the path met first (the
 * paths in order, each directory's files sorted). A directory walk or a glob lists
 * only regular files (a FIFO named `x.sql` could hang the run); a file named
 * explicitly is listed whatever it is, and reading it reports what it is. A walk or a glob
 * leaves out the files whose name says they are for another database (pop's
 * `<version>_<name>.mysql.up.sql`; `otherDatabaseByName`).
 * @throws UsageError when a path or glob names nothing, or only files of kinds miglint does not read.
 */
export async function discoverFiles(paths: string[], cwd: string, extraIgnores: string[] = [], options: DiscoverOptions = {}): Promise<string[]> {
  const debug = options.debug ?? null;
  // The ignore-pattern and glob libraries are loaded only for a walk or a glob: files named one by one (a hook, an editor) need neither.
  let ig: Ignore | null = null;
  const ignoreFile = join(cwd, '.miglintignore');
  const loadIgnores = async () => {
    if (ig) return;
    ig = (await import('ignore')).default().add(extraIgnores);
    if (existsSync(ignoreFile)) ig.add(readFileSync(ignoreFile, 'utf8'));
  };
  const ignored = (abs: string) => {
    const rel = relative(cwd, abs);
    return !!rel && !rel.startsWith('..') && ig!.ignores(rel.split(sep).join('/'));
  };
  const glob = async (pattern: string, opts: { cwd: string; absolute: boolean; ignore: string[]; dot?: boolean }) => {
    await loadIgnores();
    return (await import('tinyglobby')).glob(pattern, opts);
  };
  /**
   * The files met, in order, with the file each is (device and inode, from a stat, or null when it
   * cannot be read). Paths are kept once per real path; but two paths can share a real path only if
   * they share an inode, so only those that do (a link and its target, hard links) need the real-path
   * look-up, a system call per path.
   */
  const met: { abs: string; inode: string | null }[] = [];
  const add = (abs: string, s: Stats | undefined) => {
    met.push({ abs, inode: s ? `${s.dev}:${s.ino}` : null });
    if (s?.isFile()) options.regular?.add(abs);
  };
  /** Walked or globbed files: regular files only (a symbolic link to a FIFO is skipped too). */
  const addWalked = async (files: string[]) => {
    for (const abs of files.sort()) {
      if (ignored(abs)) continue;
      let s = null;
      try {
        s = statSync(abs);
      } catch {
        // reported just below as a file that cannot be read
      }
      if (!s?.isFile()) {
        debug?.(`${relative(cwd, abs)}: skipped: ${s ? `${fileKind(s)}, not a regular file` : 'it cannot be read'}`);
        continue;
      }
      const other = otherDatabaseByName(abs);
      if (other !== null) {
        debug?.(`${relative(cwd, abs)}: skipped: its name says it is a migration for ${other} (pop runs it only there), not for PostgreSQL`);
        continue;
      }
      add(abs, s);
    }
  };

  for (const p of paths) {
    const abs = resolve(cwd, p);
    // One stat per path (as existsSync, any failure is "not there": a pattern, then), synchronous:
    // a hook or a benchmark names thousands of files, and a promise per stat cost more than the stat.
    let s: Stats | undefined;
    try {
      s = statSync(abs);
    } catch {
      s = undefined;
    }
    if (s) {
      if (s.isDirectory()) {
        const files = await glob(sourceGlob(), { cwd: abs, absolute: true, ignore: DEFAULT_IGNORES, dot: false });
        await addWalked(files.filter(isMigrationSource));
        if (debug) await reportSpecialFiles(abs, cwd, ignored, debug);
      } else {
        add(abs, s); // named explicitly: linted whatever the ignores say
      }
      continue;
    }
    const files = await glob(p, { cwd, absolute: true, ignore: DEFAULT_IGNORES });
    if (files.length === 0) throw new UsageError(`no files match "${p}"`);
    const sources = files.filter(isMigrationSource);
    if (sources.length === 0) throw new UsageError(`"${p}" matches only files miglint does not read (it reads ${supportedExtensions().join(', ')})`);
    await addWalked(sources);
  }
  return [...onePerFile(met, debug, cwd)].sort();
}

/**
 * Names, through `debug`, the FIFOs, sockets and devices with a source extension under
 * `dir`: the walk never lists them (it lists regular files and links), so without this
 * `--debug` could not say why they were not linted. Reads the tree once more; only with `--debug`.
 */
async function reportSpecialFiles(dir: string, cwd: string, ignored: (abs: string) => boolean, debug: (message: string) => void): Promise<void> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (e.isFile() || e.isDirectory() || e.isSymbolicLink() || !isMigrationSource(e.name)) continue;
    // `parentPath` is Node.js 20.12's name for `path`.
    const abs = join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const segments = relative(dir, abs).split(sep);
    if (segments.some((s) => s.startsWith('.') || IGNORED_DIRS.includes(s)) || ignored(abs)) continue;
    const s = await stat(abs).catch(() => null);
    debug(`${relative(cwd, abs)}: skipped: ${s ? fileKind(s) : 'a special file'}, not a regular file`);
  }
}

/**
 * The paths of `met` (in the order met), one per real path: the first met is kept, a later path to
 * the same file is left out (said on `debug`). A path whose inode no other path has is its own file.
 */
function onePerFile(met: { abs: string; inode: string | null }[], debug: ((message: string) => void) | null, cwd: string): string[] {
  const perInode = new Map<string, number>();
  for (const m of met) if (m.inode !== null) perInode.set(m.inode, (perInode.get(m.inode) ?? 0) + 1);
  /** Real path → the path it was first met under. */
  const found = new Map<string, string>();
  for (const { abs, inode } of met) {
    const real = inode !== null && perInode.get(inode) === 1 ? abs : realPath(abs);
    const first = found.get(real);
    if (first === undefined) found.set(real, abs);
    else if (first !== abs) debug?.(`${relative(cwd, abs) || abs}: the same file as ${relative(cwd, first) || first}, linted once`);
  }
  return [...found.values()];
}

/** A path's real path, or the path itself when it does not resolve (a dangling link named explicitly: reading it reports why). */
function realPath(abs: string): string {
  try {
    return realpathSync.native(abs); // synchronous: one thread-pool round trip per file cost more than the call
  } catch {
    return abs;
  }
}

// Keeps V8's compiled code of the TypeScript compiler and ts-morph, of the SQL parser's JavaScript,
// and of miglint's own bundle on disk between runs. Compiling the compiler's 9 MB of JavaScript is
// most of a short TS/JS run's start-up; compiling miglint's 1 MB bundle is a good part of a short
// SQL run's.
//
// The cache lives in the user's own cache directory (`$XDG_CACHE_HOME/miglint`, else
// `~/.cache/miglint`; `%LOCALAPPDATA%\miglint` on Windows), never in the shared temporary directory,
// where another user could leave compiled code for this process to run. `MIGLINT_CACHE_DIR` names
// another directory; `MIGLINT_COMPILE_CACHE=0` turns the cache off. A cache that cannot be read or
// written (a read-only home, a full disk) only makes the run compile as it would without one.
//
// Node.js 22.1 and later have it built in (`module.enableCompileCache`). On older versions this file
// does the same for the big CommonJS files a run loads (see `isCached` and `codeCache`). It replaces the
// v8-compile-cache-lib package, measured here to cost more than it saved: that package keeps one blob
// for every checkout it has seen (25 MB after four), reads all of it on each run, hashes every module's
// source, and writes the whole blob back on every run, as V8 produces new cache data even when the
// cached data was accepted.
//
// CommonJS (bin/package.json), as the entry points that load it are: an ES module entry starts
// Node.js's ES module loader, about 5 ms of a short run.
'use strict';
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { homedir } = require('node:os');
const { dirname, join, sep } = require('node:path');
const { Script } = require('node:vm');

/** The directory to keep compiled code in, or null when there is none to use. */
function cacheRoot() {
  if (process.env.MIGLINT_CACHE_DIR) return process.env.MIGLINT_CACHE_DIR;
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ? join(process.env.LOCALAPPDATA, 'miglint') : null;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'miglint');
  let home = '';
  try {
    home = homedir();
  } catch {
    // No home directory for this user (a system account): no place of its own for the cache, so none is used.
    return null;
  }
  return home ? join(home, '.cache', 'miglint') : null;
}

/** Turns the compile cache on for this thread, where it can be; returns its directory, or null. */
function enableCompileCache() {
  if (process.env.MIGLINT_COMPILE_CACHE === '0') return null;
  const root = cacheRoot();
  if (!root) return null;
  if (Module.enableCompileCache) {
    const dir = join(root, 'node-compile-cache');
    Module.enableCompileCache(dir);
    return dir;
  }
  // One cache per V8 version and architecture: code compiled by another V8 is rejected anyway.
  const dir = join(root, `code-${process.versions.v8}-${process.arch}`);
  codeCache(dir);
  return dir;
}

/**
 * The CommonJS files worth a cache entry: ts-morph and the TypeScript compiler it bundles (megabytes
 * each), the `typescript` package's compiler (which migrun requires to transpile a TypeScript
 * migration), the SQL parser's JavaScript (libpg-query's glue of its WebAssembly), and miglint's own
 * bundle (dist/bundle/cli/*.js next to this bin/, see bin/bundle.mjs): every miglint run loads the last two.
 */
const CACHED = /[\\/]node_modules[\\/](?:ts-morph[\\/]dist[\\/]ts-morph\.js|@ts-morph[\\/]common[\\/]dist[\\/][\w-]+\.js|typescript[\\/]lib[\\/]typescript\.js)$|[\\/]node_modules[\\/]libpg-query[\\/]wasm[\\/](?:index\.cjs|libpg-query\.js)$/;
const BUNDLE = join(__dirname, '..', 'dist', 'bundle', 'cli') + sep;

/**
 * Whether `filename` gets a cache entry. Only this package's own bundle: code compiled here cannot
 * run import() on Node.js 20 (the bundle calls import.cjs for that), so no other file named like it
 * is taken.
 */
function isCached(filename) {
  return CACHED.test(filename) || (filename.startsWith(BUNDLE) && /^[\w-]+\.js$/.test(filename.slice(BUNDLE.length)));
}

/** Entries not rewritten for this long are removed when another is written (ms): old checkouts' and versions'. */
const STALE_MS = 30 * 24 * 3600 * 1000;

/**
 * Compiles the files `CACHED` matches with V8 code cache data kept in `dir`, one file per module
 * (named by a hash of its path), and writes the data of those that had none (or had it rejected) when
 * the process exits, when it also holds the functions the run compiled lazily.
 *
 * An entry is used only for the same file: its path, size, inode, and modification and change times
 * (the change time moves whenever the file is rewritten, so an `npm ci` that restores the same
 * modification time still invalidates it). V8 checks the rest (its version, flags, the source length).
 */
function codeCache(dir) {
  const compile = Module.prototype._compile;
  const toWrite = [];
  Module.prototype._compile = function (content, filename) {
    if (!isCached(filename)) return compile.call(this, content, filename);
    const entry = join(dir, `${entryName(filename)}.v8`);
    const stamp = stampOf(filename);
    const cached = stamp && readEntry(entry, stamp);
    const script = new Script(Module.wrap(content), { filename, cachedData: cached ?? undefined });
    if (stamp && (!cached || script.cachedDataRejected)) toWrite.push({ entry, stamp, script });
    const fn = script.runInThisContext({ displayErrors: true });
    return fn.call(this.exports, this.exports, requireFor(this), this, filename, dirname(filename));
  };
  process.once('exit', () => {
    if (toWrite.length) writeEntries(dir, toWrite);
  });
}

/**
 * The name of `filename`'s entry: 64 bits of hash of its path (two 32-bit FNV-1a lanes over its
 * UTF-16 code units, with different multipliers), in hex. Not node:crypto's: loading that module
 * cost a short SQL run (which caches miglint's bundle) about 4 ms. Two paths with the same name
 * would only take turns rewriting the entry: its stamp names the file it was written for.
 */
function entryName(filename) {
  let a = 0x811c9dc5;
  let b = 0x811c9dc5;
  for (let i = 0; i < filename.length; i++) {
    const c = filename.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** What identifies one version of a file on disk, as a string; null when it cannot be read. */
function stampOf(filename) {
  const s = statSync(filename, { bigint: true, throwIfNoEntry: false });
  return s ? JSON.stringify([filename, String(s.size), String(s.ino), String(s.mtimeNs), String(s.ctimeNs)]) : null;
}

/** The cached data in `entry` when it was written for `stamp` (a first line), else null. */
function readEntry(entry, stamp) {
  let bytes;
  try {
    bytes = readFileSync(entry);
  } catch {
    // No entry yet (or unreadable): compiled without one, and written at exit.
    return null;
  }
  const newline = bytes.indexOf(10);
  return newline > 0 && bytes.toString('utf8', 0, newline) === stamp ? bytes.subarray(newline + 1) : null;
}

/** Writes each entry (stamp line, then V8's data) through a temporary file and a rename, so a reader never sees half of one. */
function writeEntries(dir, items) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const { entry, stamp, script } of items) {
      const tmp = `${entry}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${stamp}\n`), script.createCachedData()]), { mode: 0o600 });
      renameSync(tmp, entry);
    }
    const now = Date.now();
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (now - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? now) > STALE_MS) unlinkSync(path);
    }
  } catch {
    // A cache that cannot be written (a read-only or full disk) only means the next run compiles again.
  }
}

/** The `require` function a module's code gets, as Node.js builds it for `module` (without the internals it keeps for itself). */
function requireFor(mod) {
  const require = (id) => mod.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

module.exports = { enableCompileCache };

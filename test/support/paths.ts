/** Paths for tests: the repository root, found by walking up to package.json. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'fixtures'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`no repository root above ${from}`);
    dir = up;
  }
}

export const repoRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
export const fixturesDir = join(repoRoot, 'fixtures');

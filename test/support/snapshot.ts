/**
 * File snapshots: compare text with a stored file. `UPDATE_SNAPSHOTS=1` rewrites
 * them; a missing snapshot is written locally but fails under CI (CI=true).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function matchSnapshot(actual: string, file: string): void {
  const update = process.env.UPDATE_SNAPSHOTS === '1';
  if (update || !existsSync(file)) {
    if (!update && process.env.CI) assert.fail(`snapshot ${file} is missing (run the tests with UPDATE_SNAPSHOTS=1 and commit it)`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot ${file} differs (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

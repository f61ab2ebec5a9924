/**
 * File snapshots: compare text with a stored file. `UPDATE_SNAPSHOTS=1` writes or
 * rewrites them; without it a missing snapshot fails like a differing one, so a
 * new fixture cannot pass by writing its own expectation.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Asserts that `actual` equals the text of the snapshot `file` (a path), or, with
 * `UPDATE_SNAPSHOTS=1`, writes `actual` there.
 * @throws AssertionError when the snapshot differs or is missing (and not updating).
 */
export function matchSnapshot(actual: string, file: string): void {
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) assert.fail(`snapshot ${file} is missing (run the tests with UPDATE_SNAPSHOTS=1, read it, and commit it)`);
  assert.equal(actual, readFileSync(file, 'utf8'), `snapshot ${file} differs (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

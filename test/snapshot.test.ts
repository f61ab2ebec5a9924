/** The snapshot helper itself: a missing snapshot fails unless UPDATE_SNAPSHOTS=1 asks for it to be written. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { matchSnapshot } from './support/snapshot.js';

describe('matchSnapshot', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.UPDATE_SNAPSHOTS;
    delete process.env.UPDATE_SNAPSHOTS;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.UPDATE_SNAPSHOTS;
    else process.env.UPDATE_SNAPSHOTS = saved;
  });

  test('a missing snapshot fails and is not written, in CI or not', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'miglint-snap-')), 'x.snap');
    assert.throws(() => matchSnapshot('text\n', file), /snapshot .*x\.snap is missing/);
    assert.equal(existsSync(file), false);
  });
  test('a differing snapshot fails; an equal one passes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'miglint-snap-')), 'x.snap');
    writeFileSync(file, 'old\n');
    assert.throws(() => matchSnapshot('new\n', file), /differs/);
    matchSnapshot('old\n', file);
  });
  test('UPDATE_SNAPSHOTS=1 writes a missing snapshot and rewrites a differing one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'miglint-snap-')), 'sub', 'x.snap');
    process.env.UPDATE_SNAPSHOTS = '1';
    matchSnapshot('one\n', file);
    assert.equal(readFileSync(file, 'utf8'), 'one\n');
    matchSnapshot('two\n', file);
    assert.equal(readFileSync(file, 'utf8'), 'two\n');
  });
});

/** The add-only set behind `context.createdTables`: O(1) snapshots that later additions do not change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddOnlySet } from '../src/sql/add-only-set.js';

test('a snapshot holds the members added before it, in order, and none added after', () => {
  const set = new AddOnlySet().add('a').add('b').add('a');
  const before = set.snapshot();
  set.add('c');
  assert.equal(before.size, 2);
  assert.deepEqual([...before], ['a', 'b']);
  assert.deepEqual([...before.entries()], [['a', 'a'], ['b', 'b']]);
  assert.ok(before.has('b') && !before.has('c'));
  assert.deepEqual([...set.snapshot()], ['a', 'b', 'c']);
});

test('members added while a snapshot is iterated do not show in it', () => {
  const set = new AddOnlySet().add('a');
  const snap = set.snapshot();
  const seen: string[] = [];
  snap.forEach((v) => {
    seen.push(v);
    set.add(`${v}x`);
  });
  for (const v of snap) set.add(`${v}y`);
  assert.deepEqual(seen, ['a']);
  assert.deepEqual([...snap], ['a']);
});

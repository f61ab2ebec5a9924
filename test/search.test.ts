import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionPoint } from '../src/core/search.js';

test('partitionPoint counts the leading items a predicate holds for', () => {
  const xs = [1, 3, 3, 5, 8, 13];
  assert.equal(partitionPoint([], () => true), 0);
  assert.equal(partitionPoint(xs, () => true), xs.length);
  assert.equal(partitionPoint(xs, () => false), 0);
  assert.equal(partitionPoint(xs, (x) => x < 3), 1);
  assert.equal(partitionPoint(xs, (x) => x <= 3), 3);
  assert.equal(partitionPoint(xs, (x) => x < 14), 6);
  // Against a linear count, for every cut of a longer array.
  const ys = Array.from({ length: 101 }, (_, i) => i * 2);
  for (let v = -1; v <= 203; v++) assert.equal(partitionPoint(ys, (y) => y < v), ys.filter((y) => y < v).length, `cut at ${v}`);
});

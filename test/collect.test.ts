import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatMapped } from '../src/core/collect.js';

test('flatMapped gives what Array.prototype.flatMap gives for callbacks returning arrays', () => {
  const shapes: ((x: number, i: number) => unknown[])[] = [
    () => [],
    (x) => [x],
    (x, i) => (i % 3 === 0 ? [] : i % 3 === 1 ? [x, x * 10] : [[x], []]),
    (x, i) => Array.from({ length: i }, (_, j) => x + j),
    (x) => (x % 2 ? [{ x }] : []),
  ];
  const inputs: number[][] = [[], [7], [1, 2, 3, 4, 5, 6, 7], Array.from({ length: 50 }, (_, i) => i * i)];
  for (const fn of shapes) {
    for (const xs of inputs) assert.deepEqual(flatMapped(xs, fn), xs.flatMap(fn));
  }
});

test('flatMapped keeps nested arrays one level down and passes each index', () => {
  const seen: number[] = [];
  const out = flatMapped(['a', 'b', 'c'], (s, i) => {
    seen.push(i);
    return [[s], s];
  });
  assert.deepEqual(out, [['a'], 'a', ['b'], 'b', ['c'], 'c']);
  assert.deepEqual(seen, [0, 1, 2]);
});

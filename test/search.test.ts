import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overlapTest, partitionPoint } from '../src/core/search.js';

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

test('overlapTest answers as a scan of the other items does', () => {
  const scan = (items: { span: { start: number; end: number } }[], s: (typeof items)[number]) => items.some((o) => o !== s && o.span.start < s.span.end && s.span.start < o.span.end);
  const at = (start: number, end: number) => ({ span: { start, end } });
  // Hand-made corners: the same span twice, touching ends, an empty span inside and at an edge, a long span that is not the last to start.
  const same = [at(0, 10), at(0, 10)];
  const touching = [at(0, 10), at(10, 20)];
  const empty = [at(0, 10), at(5, 5), at(10, 10), at(0, 0)];
  const long = [at(0, 100), at(10, 20), at(30, 40), at(50, 60)];
  const overtaking = [at(0, 10), at(5, 20)];
  for (const items of [same, touching, empty, long, overtaking, [at(3, 7)], []]) {
    const overlaps = overlapTest(items);
    for (const s of items) assert.equal(overlaps(s), scan(items, s), JSON.stringify([items, s]));
    assert.equal(overlaps(at(200, 300)), false, 'an item of no list');
  }
  // Random lists (a fixed seed), against the scan for each item.
  let seed = 7;
  // The high bits of the generator: its low bits repeat with a short period.
  const next = (n: number) => Math.floor((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 16) % n;
  for (let round = 0; round < 300; round++) {
    const items = Array.from({ length: 1 + next(12) }, () => {
      const start = next(50);
      return at(start, start + next(4) * next(6));
    });
    const overlaps = overlapTest(items);
    for (const s of items) assert.equal(overlaps(s), scan(items, s), JSON.stringify([items, s]));
  }
});

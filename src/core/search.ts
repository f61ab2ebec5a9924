/**
 * Binary search over sorted arrays, shared by the analyses that look up offsets and sequence
 * numbers (statements, phase markers, a folder's history).
 */

/**
 * The number of leading `items` for which `isBefore` holds, found by binary search: `items` must be
 * ordered so that `isBefore` holds for a prefix and for nothing after it. That is the index of the
 * first item it does not hold for (`items.length` when it holds for all). O(log n) calls of `isBefore`.
 */
export function partitionPoint<T>(items: readonly T[], isBefore: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (isBefore(items[mid]!)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A half-open character range `[start, end)`, as `Span` is. */
interface Range {
  start: number;
  end: number;
}

/**
 * For a fixed list of items with spans, a test of whether an item's span overlaps that of
 * another item of the list (`o.start < s.end && s.start < o.end`, `o !== s`, the same test a
 * scan of the list makes; an empty span overlaps what strictly contains its offset). The
 * items are sorted by start once, with the two largest ends of each prefix, so each question is
 * a binary search: O(n log n) to build, O(log n) a question, where a scan per item of the list
 * is quadratic. `item` must be one of the list's (by identity) or none of them.
 */
export function overlapTest<T extends { span: Range }>(items: readonly T[]): (item: T) => boolean {
  const sorted = [...items].sort((a, b) => a.span.start - b.span.start);
  /** Per prefix `sorted[0..i]`: the item with the largest end, and the largest end of the others. */
  const top: T[] = [];
  const second: number[] = [];
  for (const [i, o] of sorted.entries()) {
    const best = i > 0 ? top[i - 1]! : undefined;
    const runnerUp = i > 0 ? second[i - 1]! : -Infinity;
    if (!best || o.span.end > best.span.end) {
      top.push(o);
      second.push(best ? best.span.end : -Infinity);
    } else {
      top.push(best);
      second.push(Math.max(runnerUp, o.span.end));
    }
  }
  return (s) => {
    // The items starting before `s` ends; one of them other than `s` overlaps it when its end passes `s`'s start.
    const k = partitionPoint(sorted, (o) => o.span.start < s.span.end);
    if (k === 0) return false;
    const best = top[k - 1]!;
    return (best === s ? second[k - 1]! : best.span.end) > s.span.start;
  };
}

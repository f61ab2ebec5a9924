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

/**
 * PostgreSQL's table-level lock modes and their conflicts.
 * Manual: "Explicit Locking", section "Table-Level Locks" (explicit-locking.html#LOCKING-TABLES),
 * Table "Conflicting Lock Modes".
 */

export const LOCK_MODES = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** For each mode, the modes it conflicts with (the manual's table, row by row). */
const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  'ACCESS SHARE': ['ACCESS EXCLUSIVE'],
  'ROW SHARE': ['EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ROW EXCLUSIVE': ['SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE UPDATE EXCLUSIVE': ['SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  SHARE: ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'SHARE ROW EXCLUSIVE': ['ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  EXCLUSIVE: ['ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'],
  'ACCESS EXCLUSIVE': LOCK_MODES,
};

export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

/** Whether holding (or queueing for) `mode` blocks plain `SELECT`s, which take ACCESS SHARE. */
export function blocksReads(mode: LockMode): boolean {
  return conflicts(mode, 'ACCESS SHARE');
}

/** Whether holding (or queueing for) `mode` blocks `INSERT`/`UPDATE`/`DELETE`, which take ROW EXCLUSIVE. */
export function blocksWrites(mode: LockMode): boolean {
  return conflicts(mode, 'ROW EXCLUSIVE');
}

/** "blocks reads and writes" / "blocks writes" / "blocks neither reads nor writes". */
export function describeBlocking(mode: LockMode): string {
  if (blocksReads(mode)) return 'blocks all reads and writes';
  if (blocksWrites(mode)) return 'blocks writes (INSERT, UPDATE, DELETE) but not reads';
  return 'blocks neither reads nor writes';
}

/** The pg_locks.mode name of a lock mode, e.g. `AccessExclusiveLock`. */
export function pgLocksName(mode: LockMode): string {
  return (
    mode
      .toLowerCase()
      .split(' ')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join('') + 'Lock'
  );
}

const BY_PG_LOCKS_NAME = new Map(LOCK_MODES.map((m) => [pgLocksName(m), m]));

/** The lock mode of a pg_locks.mode name (`ShareUpdateExclusiveLock`), or undefined. */
export function fromPgLocksName(name: string): LockMode | undefined {
  return BY_PG_LOCKS_NAME.get(name);
}

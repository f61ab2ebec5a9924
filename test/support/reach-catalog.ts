/**
 * The tables a `reach` lock fact (src/sql/locks.ts `Reach`, src/sql/reach.ts) stands
 * for, read from the catalog of the database the statement is about to run in, for
 * test/rule-locks.test.ts:
 * - `referencing`: `pg_constraint` foreign keys (`contype = 'f'`) whose `confrelid` is
 *   the table; `recursive`: and those referencing the tables found, in turn;
 * - `referenced`: the `confrelid` of the table's own foreign keys;
 * - `partition-parent` / `partitions`: `pg_inherits` of a declarative partition
 *   (`relispartition`): its parent, or the table's partitions, in turn;
 * - `domain`: relations with storage (`relkind` `r`, `m`: tables, partitions,
 *   materialized views) with a live column whose type is the domain or a domain
 *   over it (`pg_type.typbasetype`, in turn).
 */
import type pg from 'pg';
import type { Reach } from '../../src/sql/locks.js';

const QUERIES: Record<Reach['via'], string> = {
  referencing: `WITH RECURSIVE r(oid, depth) AS (
      SELECT conrelid, 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass($1)
      UNION SELECT c.conrelid, r.depth + 1 FROM pg_constraint c JOIN r ON c.confrelid = r.oid WHERE c.contype = 'f' AND $2::boolean AND r.depth < 50)
    SELECT DISTINCT oid::int AS oid, oid::regclass::text AS name FROM r`,
  referenced: `SELECT DISTINCT confrelid::int AS oid, confrelid::regclass::text AS name FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1) AND $2::boolean IS NOT NULL`,
  'partition-parent': `SELECT i.inhparent::int AS oid, i.inhparent::regclass::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhrelid = to_regclass($1) AND c.relispartition AND $2::boolean IS NOT NULL`,
  partitions: `WITH RECURSIVE p(oid) AS (
      SELECT i.inhrelid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass($1) AND c.relispartition AND $2::boolean IS NOT NULL
      UNION SELECT i.inhrelid FROM pg_inherits i JOIN p ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relispartition)
    SELECT oid::int AS oid, oid::regclass::text AS name FROM p`,
  domain: `WITH RECURSIVE d(oid) AS (
      SELECT to_regtype($1)::oid
      UNION SELECT t.oid FROM pg_type t JOIN d ON t.typbasetype = d.oid WHERE t.typtype = 'd')
    SELECT DISTINCT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    WHERE a.atttypid IN (SELECT oid FROM d) AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'm') AND $2::boolean IS NOT NULL`,
};

/** The members of the set, as oids and names; empty when there are none (or the table or domain does not exist). */
export async function reachMembers(client: pg.Client, reach: Reach): Promise<{ oid: number; name: string }[]> {
  return (await client.query<{ oid: number; name: string }>(QUERIES[reach.via], [reach.of, !!reach.recursive])).rows;
}

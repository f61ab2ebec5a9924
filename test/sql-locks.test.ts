/**
 * The lock knowledge (src/sql/locks.ts) against real servers: each sample
 * statement runs inside a transaction block, and pg_locks of that backend must
 * show, on each relation `locksOf(node, server version)` names, exactly the mode
 * it claims as the strongest lock held there (for an index, on its table too,
 * where locksOf says what the table gets); and no table that existed before
 * may hold an unclaimed lock stronger than ROW EXCLUSIVE (an under-claimed lock
 * is the dangerous error). The transaction is rolled back, so the samples share
 * one schema.
 *
 * Statements that cannot run in a transaction block (CREATE/DROP INDEX
 * CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY, VACUUM) are
 * not sampled here: their locks are taken across several transactions. Nor is
 * `ALTER TABLE ... DROP CONSTRAINT` of a foreign key: it also takes ACCESS
 * EXCLUSIVE on the referenced table, which the statement does not name.
 */
import assert from 'node:assert/strict';
import { before, after, it } from 'node:test';
import pg from 'pg';
import { fromPgLocksName, LOCK_MODES, type LockMode } from '../src/sql/lock-modes.js';
import { locksOf } from '../src/sql/locks.js';
import { initSqlParser, parseSql } from '../src/sql/parse.js';
import { forEachServer } from './support/pg.js';

await initSqlParser();

const SETUP = `
CREATE TABLE t (id int PRIMARY KEY, a int, b text, r int);
CREATE INDEX t_a_idx ON t (a);
CREATE TABLE refd (id int PRIMARY KEY);
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID;
ALTER TABLE t ADD CONSTRAINT t_r_fk FOREIGN KEY (r) REFERENCES refd (id) NOT VALID;
CREATE TABLE "Mixed" (id int);
CREATE SCHEMA audit;
CREATE TABLE audit.t (id int);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_noop BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop();
CREATE TABLE parted (k int, v text) PARTITION BY LIST (k);
CREATE TABLE parted_1 PARTITION OF parted FOR VALUES IN (1);
CREATE TABLE loose (k int, v text);
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE UNIQUE INDEX mv_id ON mv (id);
`;

/** Statements whose locks are checked; each runs alone in a transaction that is rolled back. */
const SAMPLES = [
  'CREATE INDEX t_b_idx ON t (b)',
  'CREATE UNIQUE INDEX t_id_b ON t (id, b)',
  'DROP INDEX t_a_idx',
  'ALTER TABLE t ADD COLUMN c int',
  'ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0',
  'ALTER TABLE t ALTER COLUMN a TYPE bigint',
  'ALTER TABLE t ALTER COLUMN a SET NOT NULL',
  'ALTER TABLE t ALTER COLUMN a SET STATISTICS 200',
  'ALTER TABLE t SET (fillfactor = 70)',
  'ALTER TABLE t VALIDATE CONSTRAINT t_a_check',
  'ALTER TABLE t VALIDATE CONSTRAINT t_r_fk',
  'ALTER TABLE t ADD CONSTRAINT t_r_fk2 FOREIGN KEY (r) REFERENCES refd (id) NOT VALID',
  'ALTER TABLE t ADD COLUMN s int REFERENCES refd (id)',
  'ALTER TABLE t ALTER CONSTRAINT t_r_fk DEFERRABLE',
  'ALTER TABLE t DISABLE TRIGGER USER',
  'ALTER TABLE t DROP CONSTRAINT t_a_check',
  'ALTER TABLE t ADD CONSTRAINT t_b_check CHECK (b <> \'\') NOT VALID',
  'ALTER TABLE t ADD CONSTRAINT t_b_key UNIQUE (b)',
  'ALTER TABLE t DROP COLUMN b',
  'ALTER TABLE t ALTER COLUMN b SET DEFAULT \'x\'',
  'ALTER TABLE t ENABLE ROW LEVEL SECURITY',
  'ALTER TABLE t SET LOGGED',
  'ALTER TABLE t CLUSTER ON t_pkey',
  'ALTER TABLE parted ATTACH PARTITION loose FOR VALUES IN (2)',
  'ALTER TABLE parted DETACH PARTITION parted_1',
  'CREATE TABLE parted_3 PARTITION OF parted FOR VALUES IN (3)',
  'CREATE TABLE child (id int REFERENCES refd (id))',
  'ALTER INDEX t_a_idx RENAME TO t_a_idx2',
  'ALTER INDEX t_a_idx SET (fillfactor = 70)',
  'ALTER TABLE t RENAME TO t2',
  'ALTER TABLE "Mixed" ADD COLUMN x int',
  'ALTER TABLE audit.t ADD COLUMN x int',
  'REINDEX INDEX t_a_idx',
  'REINDEX TABLE t',
  'CREATE TRIGGER t_noop2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop()',
  'DROP TRIGGER t_noop ON t',
  'TRUNCATE loose',
  'LOCK TABLE loose IN SHARE MODE',
  'LOCK TABLE loose',
  'ANALYZE loose',
  'CLUSTER t USING t_pkey',
  'REFRESH MATERIALIZED VIEW mv',
  'REFRESH MATERIALIZED VIEW CONCURRENTLY mv',
  "COMMENT ON TABLE t IS 'leads'",
  'DROP TABLE loose',
  'UPDATE t SET a = 1',
  'INSERT INTO loose VALUES (1)',
  'DELETE FROM loose',
];

const STRENGTH = new Map(LOCK_MODES.map((m, i) => [m, i]));

interface Held {
  oid: number;
  mode: LockMode;
}

forEachServer('locksOf against pg_locks', (server) => {
  let client: pg.Client;
  before(async () => {
    const url = await server.freshDatabase('locks_of');
    client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(SETUP);
    await client.query("SET lock_timeout = '5s'");
  });
  after(async () => {
    await client?.end();
  });

  /** The strongest granted relation lock per relation oid held by our backend. */
  async function held(): Promise<Map<number, LockMode>> {
    const r = await client.query<{ oid: number; mode: string }>(
      "SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    const out = new Map<number, LockMode>();
    for (const row of r.rows as Held[] & { mode: string }[]) {
      const mode = fromPgLocksName(row.mode as string);
      assert.ok(mode, `unknown pg_locks mode ${row.mode}`);
      const prev = out.get(row.oid);
      if (!prev || STRENGTH.get(mode)! > STRENGTH.get(prev)!) out.set(row.oid, mode);
    }
    return out;
  }

  const oidOf = async (sqlName: string) => (await client.query<{ oid: number | null }>('SELECT to_regclass($1)::oid::int AS oid', [sqlName])).rows[0]!.oid;

  for (const sql of SAMPLES) {
    it(sql, async () => {
      const claims = locksOf(parseSql(sql).statements[0]!.node, server.version);
      assert.ok(claims.length > 0, 'locksOf names at least one relation');
      await client.query('BEGIN');
      try {
        // Before the statement: the claimed relations' oids (DROP removes them), their tables for index claims, and the tables that exist.
        const targets: { relation: string; mode: LockMode; oid: number; table: number | null }[] = [];
        for (const c of claims) {
          const oid = await oidOf(c.relation);
          assert.ok(oid, `${c.relation} exists before the statement`);
          const table = c.relationKind === 'index' ? (await client.query<{ t: number }>('SELECT indrelid::int AS t FROM pg_index WHERE indexrelid = $1', [oid])).rows[0]?.t ?? null : null;
          targets.push({ relation: c.relation, mode: c.mode, oid, table });
        }
        const tables = (await client.query<{ oid: number; name: string }>("SELECT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'audit') AND c.relkind IN ('r', 'p', 'm')")).rows;
        await client.query(sql);
        const locks = await held();
        for (const t of targets) assert.equal(locks.get(t.oid), t.mode, `${t.relation}: locksOf says ${t.mode}, pg_locks shows ${locks.get(t.oid) ?? 'no lock'}`);
        for (const c of claims) {
          const t = targets[claims.indexOf(c)]!;
          if (c.relationKind === 'index' && c.tableMode !== undefined && t.table !== null) {
            assert.equal(locks.get(t.table) ?? null, c.tableMode, `the table of index ${t.relation}: locksOf says ${c.tableMode ?? 'no lock'}, pg_locks shows ${locks.get(t.table) ?? 'no lock'}`);
          }
        }
        // No table that existed before holds an unclaimed lock stronger than ROW EXCLUSIVE (an index claim covers its table up to the claimed mode).
        for (const tbl of tables) {
          const mode = locks.get(tbl.oid);
          if (!mode || STRENGTH.get(mode)! <= STRENGTH.get('ROW EXCLUSIVE')!) continue;
          const cover = targets.flatMap((t, i) => (t.oid === tbl.oid ? [t.mode] : t.table === tbl.oid ? [claims[i]!.tableMode ?? t.mode] : [])).map((m) => STRENGTH.get(m)!);
          assert.ok(cover.some((c) => c >= STRENGTH.get(mode)!), `${tbl.name} holds ${mode}, which locksOf does not claim (claims: ${claims.map((c) => `${c.mode} on ${c.relation}`).join(', ')})`);
        }
      } finally {
        await client.query('ROLLBACK');
      }
    });
  }
});

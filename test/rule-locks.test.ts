/**
 * The locks of every rule's flagged statements, against real servers (PostgreSQL 18 and 15).
 *
 * Every bad SQL fixture of every rule is run on a fresh database: first its setup
 * (test/support/fixture-setup.ts: a folder `setup.sql`, a `<fixture>.setup` file and the
 * fixture's `-- setup:` lines), then its statements of the finding's direction in order (the fixture's own
 * BEGIN/COMMIT are left out: transactions are this harness's). For each statement the
 * rule flags, the locks it took must agree with the statement facts (src/sql/facts.ts
 * `locks`) and with the finding's claim (`Diagnostic.lock`, from `claim`):
 * - on every relation the facts list, exactly that mode as the strongest lock held
 *   (for an index whose facts say what its table gets, `tableMode`, on the table too;
 *   for a set of tables the statement does not name, `reach`, on each table the catalog
 *   puts in that set just before the statement runs: test/support/reach-catalog.ts);
 * - on the claimed relation, exactly the claimed mode;
 * - on no table that existed before, an unnamed lock stronger than ROW EXCLUSIVE;
 * and a claimed relation's `pg_class.relfilenode` must change exactly when the claim
 * says `rewrites` (not checked when it says `maybe`, nor for a relation the statement drops).
 *
 * A statement that may run in a transaction block runs in one of its own, and pg_locks of
 * its own backend is read before the COMMIT. One that cannot (CONCURRENTLY, VACUUM) runs in
 * autocommit and is observed from a second connection while it is held up
 * (test/support/lock-observe.ts). Left out, with the reason shown: a fixture with
 * placeholders (an interpolated template, a blanked `{{ }}`: it cannot run as written);
 * one written for another `pgVersion` (`bad.pg11.sql`); CREATE/DROP DATABASE and
 * ALTER SYSTEM (no table-level lock: they act on the cluster, not on this database).
 *
 * A rule helper only adds fixtures: a statement without the setup it needs fails here
 * with the server's error.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import pg from 'pg';
import { rules } from '../rules/index.js';
import type { Diagnostic } from '../src/core/diagnostic.js';
import type { Statement } from '../src/core/unit.js';
import { isPlaceholder } from '../src/sql/describe.js';
import { factsOf } from '../src/sql/facts.js';
import { fromPgLocksName, LOCK_MODES, type LockMode } from '../src/sql/lock-modes.js';
import type { Reach } from '../src/sql/locks.js';
import { reachText } from '../src/sql/reach.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';
import { fixtureConfig, fixtureInputs } from './support/fixtures.js';
import { fixtureSetup } from './support/fixture-setup.js';
import { fixturesDir } from './support/paths.js';
import { observeHeldUp } from './support/lock-observe.js';
import { reachMembers } from './support/reach-catalog.js';
import { forEachServer, type TestServer } from './support/pg.js';

const STRENGTH = new Map(LOCK_MODES.map((m, i) => [m, i]));

/** A bad SQL fixture of a rule, with the findings its rule makes on the server's version (all of them: a finding without a lock claim still has its statement's facts checked). */
function claimsOf(id: string, file: string, text: string, pgVersion: number): { statements: Statement[]; findings: Diagnostic[] } {
  const cfg = config({ ...fixtureConfig(file), pgVersion });
  const unit = loadUnit(file, text, cfg.settings);
  const rule = rules.find((r) => r.meta.id === id)!;
  const findings = rule.check(unit, { settings: cfg.settings, options: cfg.rules[id]?.options ?? {} });
  return { statements: unit.statements, findings };
}

/** Bad SQL fixtures with at least one finding (decided on the newest server version the harness runs). */
const CASES = rules.flatMap((r) =>
  fixtureInputs(r.meta.id)
    .filter((f) => f.startsWith('bad') && f.endsWith('.sql'))
    .flatMap((file) => {
      const text = readFileSync(join(fixturesDir, 'rules', r.meta.id, file), 'utf8');
      return claimsOf(r.meta.id, file, text, fixtureConfig(file).pgVersion ?? 18).findings.length ? [{ id: r.meta.id, file, text }] : [];
    }),
);

it('some rule claims a lock, so the claims are checked below', () => {
  assert.ok(CASES.some((c) => claimsOf(c.id, c.file, c.text, 18).findings.some((d) => d.lock)));
});

/**
 * Fresh databases made `ahead` at a time before the tests that take them: CREATE DATABASE (0.1-0.2 s,
 * a copy of template1) is most of a fixture's time, and made ahead it overlaps the fixture before.
 * Each fixture still gets a database no other fixture has used.
 */
function databasesAhead(server: TestServer, prefix: string, ahead = 3): () => Promise<string> {
  const made: Promise<string>[] = [];
  const make = () => {
    const p = server.freshDatabase(prefix);
    p.catch(() => undefined);
    made.push(p);
  };
  return () => {
    while (made.length <= ahead) make();
    return made.shift()!;
  };
}

forEachServer('rule lock claims against pg_locks', (server: TestServer) => {
  const freshDatabase = databasesAhead(server, 'rule_locks');
  for (const c of CASES) {
    const pinned = fixtureConfig(c.file).pgVersion;
    it(`${c.id}/${c.file}`, async (t) => {
      if (LEFT_OUT[c.id]) return t.skip(LEFT_OUT[c.id]);
      if (pinned !== undefined && pinned !== server.version) return t.skip(`written for PostgreSQL ${pinned}`);
      const { statements, findings } = claimsOf(c.id, c.file, c.text, server.version);
      if (statements.some((s) => s.interpolated) || findings.some((d) => d.lock?.relation.split('.').some(isPlaceholder))) return t.skip('has placeholders: its statements cannot run as written');
      const url = await freshDatabase();
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const setup = fixtureSetup(c.id, c.text, c.file);
        if (setup) await client.query(setup);
        await client.query("SET lock_timeout = '5s'");
        const phase = statements.find((s) => findings.some((f) => within(f, s)))?.phase ?? 'up';
        const flagged = statements.filter((s) => findings.some((d) => within(d, s)));
        if (flagged.every((s) => factsOf(s).kind.class === 'transaction-control')) return t.skip('its findings are on transaction control statements (BEGIN, COMMIT), which take no table-level lock');
        const inDo = statements.find((s) => !factsOf(s).kind.transactional && findings.some((d) => within(d, s)) && statements.some((o) => o.span.start < s.span.start && o.span.end >= s.span.end));
        if (inDo) return t.skip(`${factsOf(inDo).kind.tag} is in a DO block, which runs in a transaction block: PostgreSQL refuses it there, so it takes no lock`);
        let prevEnd = -1;
        let checked = 0;
        for (const s of statements) {
          // Statements inside a DO block are run by the DO itself.
          if (s.span.start < prevEnd || s.phase !== phase) continue;
          prevEnd = s.span.end;
          const f = factsOf(s);
          if (f.kind.class === 'transaction-control') continue;
          const mine = findings.filter((d) => within(d, s));
          if (mine.length && CLUSTER_WIDE.has(f.kind.tag)) return t.skip(`${f.kind.tag} takes no table-level lock in this database`);
          if (mine.length && !f.kind.transactional && !f.locks.some((l) => l.key !== null)) return t.skip(`${f.kind.tag} locks the relations it finds at run time (each table of a schema or database in turn), which its facts do not name`);
          if (mine.length === 0) {
            if (!f.kind.transactional) await client.query(s.sql);
            else {
              await client.query('BEGIN');
              await client.query(s.sql).finally(() => client.query('COMMIT'));
            }
            continue;
          }
          checked++;
          const expected = await expectations(client, c.id, s, statements, mine);
          const tables = await existingTables(client);
          if (!f.kind.transactional) {
            const how = f.kind.concurrentIndex || f.alter.some((a) => a.kind === 'detach-partition' && a.concurrently) ? 'wait-for-older' : 'queue';
            const oids = [...new Set(expected.map((e) => e.table))];
            const seen = await observeHeldUp(client, url, s.sql, oids, how);
            assert.ok(seen.holdUps > 0, `${s.sql}: never seen held up (${how})`);
            compare(s.sql, expected, seen.locks, tables, `seen from a second connection (${how}, ${seen.holdUps} hold-ups)`);
            continue;
          }
          await client.query('BEGIN');
          try {
            await client.query(s.sql);
            compare(s.sql, expected, await locksHeld(client), tables, 'pg_locks shows');
            for (const e of expected) {
              if (e.rewrites === undefined || e.rewrites === 'maybe') continue;
              const row = (await client.query<{ node: number | null }>('SELECT relfilenode::int AS node FROM pg_class WHERE oid = $1', [e.oid])).rows[0];
              // A relation the statement drops has no storage left to compare.
              if (!row) continue;
              const after = row.node;
              assert.equal(after !== e.node, e.rewrites, `${s.sql}\n${e.relation}: ${c.id} claims ${e.rewrites ? 'a rewrite' : 'no rewrite'}, relfilenode ${after !== e.node ? 'changed' : 'stayed'}`);
            }
          } finally {
            await client.query('COMMIT').catch(() => client.query('ROLLBACK'));
          }
        }
        assert.ok(checked > 0, 'no flagged statement was run');
      } finally {
        await client.end();
      }
    });
  }
  // Three fixtures at once: each has a database of its own, and what it observes is its own backend's locks (or,
  // for the concurrent forms, waits that only transactions of its own database cause).
}, { concurrency: 3 });

/** Rules whose bad fixtures cannot be run, and why. */
const LEFT_OUT: Record<string, string> = {
  'unanalyzable-statement': 'its fixtures are statements PostgreSQL rejects too (a DO body that does not parse): they take no lock',
};

/** Statements that act on the cluster, not on relations of this database. */
const CLUSTER_WIDE = new Set(['CREATE DATABASE', 'DROP DATABASE', 'ALTER SYSTEM']);

interface Expected {
  relation: string;
  oid: number;
  /** The table whose lock holds the statement up: the relation itself, or an index's table. */
  table: number;
  mode: LockMode;
  what: string;
  /** relfilenode before, and whether a claim says it changes. */
  node: number;
  rewrites?: boolean | 'maybe';
}

/** What the statement facts and the findings' claims say about the statement's locks, resolved to oids before it runs. */
async function expectations(client: pg.Client, id: string, s: Statement, statements: readonly Statement[], mine: Diagnostic[]): Promise<Expected[]> {
  const out: Expected[] = [];
  const resolve = async (relation: string) => {
    const r = await client.query<{ oid: number | null; node: number | null; kind: string; table: number | null }>(
      "SELECT c.oid::int AS oid, c.relfilenode::int AS node, c.relkind::text AS kind, i.indrelid::int AS table FROM pg_class c LEFT JOIN pg_index i ON i.indexrelid = c.oid WHERE c.oid = to_regclass($1)",
      [relation],
    );
    const row = r.rows[0];
    assert.ok(row?.oid, `${relation} exists before: ${s.sql} (add it to the fixture's setup)`);
    return { oid: row.oid, node: row.node ?? 0, table: row.table ?? row.oid };
  };
  // A DO block runs the statements in it: their facts are its locks.
  const inner = statements.filter((o) => o === s || (o.span.start >= s.span.start && o.span.end <= s.span.end && o.phase === s.phase));
  // A set of tables the statement does not name: each member, as the catalog has it now (test/support/reach-catalog.ts).
  const members = async (reach: Reach, mode: LockMode, what: string) => {
    for (const m of await reachMembers(client, reach)) out.push({ relation: `${m.name} (one of the ${reachText(reach)})`, oid: m.oid, table: m.oid, mode, what, node: 0 });
  };
  for (const l of inner.flatMap((o) => factsOf(o).locks)) {
    if (l.reach) await members(l.reach, l.mode, `the statement facts say (${l.operation})`);
    if (l.key === null) continue;
    const r = await resolve(l.relation);
    out.push({ relation: l.relation, oid: r.oid, table: r.table, mode: l.mode, what: `the statement facts say (${l.operation})`, node: r.node });
    if (l.relationKind === 'index' && l.tableMode && r.table !== r.oid) out.push({ relation: `the table of ${l.relation}`, oid: r.table, table: r.table, mode: l.tableMode, what: 'the statement facts say (tableMode)', node: 0 });
  }
  for (const d of mine) {
    if (!d.lock) continue;
    if (d.lock.reach) {
      await members(d.lock.reach, d.lock.mode as LockMode, `${id} claims`);
      continue;
    }
    const r = await resolve(d.lock.relation);
    out.push({ relation: d.lock.relation, oid: r.oid, table: r.table, mode: d.lock.mode as LockMode, what: `${id} claims`, node: r.node, rewrites: d.lock.rewrites ?? false });
  }
  return out;
}

/** Tables, partitioned tables and materialized views outside the system schemas. */
async function existingTables(client: pg.Client): Promise<{ oid: number; name: string }[]> {
  return (await client.query<{ oid: number; name: string }>("SELECT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p', 'm')")).rows;
}

function compare(sql: string, expected: readonly Expected[], held: Map<number, LockMode>, tables: readonly { oid: number; name: string }[], how: string): void {
  for (const e of expected) assert.equal(held.get(e.oid), e.mode, `${sql}\n${e.relation}: ${e.what} ${e.mode}, ${how} ${held.get(e.oid) ?? 'no lock'}`);
  for (const tbl of tables) {
    const mode = held.get(tbl.oid);
    if (!mode || STRENGTH.get(mode)! <= STRENGTH.get('ROW EXCLUSIVE')!) continue;
    const covered = expected.some((e) => e.oid === tbl.oid && STRENGTH.get(e.mode)! >= STRENGTH.get(mode)!);
    assert.ok(covered, `${sql}\n${tbl.name}: ${how} ${mode}, which neither the claim nor the facts name`);
  }
}

function within(d: Diagnostic, s: Statement): boolean {
  return d.span.start >= s.span.start && d.span.start < Math.max(s.span.end, s.span.start + 1);
}

/** The strongest granted relation lock per relation oid held by this backend. */
async function locksHeld(client: pg.Client): Promise<Map<number, LockMode>> {
  const r = await client.query<{ oid: number; mode: string }>(
    "SELECT relation::int AS oid, mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
  );
  const out = new Map<number, LockMode>();
  for (const row of r.rows) {
    const mode = fromPgLocksName(row.mode);
    assert.ok(mode, `unknown pg_locks mode ${row.mode}`);
    const prev = out.get(row.oid);
    if (!prev || STRENGTH.get(mode)! > STRENGTH.get(prev)!) out.set(row.oid, mode);
  }
  return out;
}


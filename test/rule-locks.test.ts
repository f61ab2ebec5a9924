/**
 * The lock each rule's finding claims, against real servers (PostgreSQL 18 and 15).
 *
 * For every rule whose findings carry a lock claim (`Diagnostic.lock`, from the
 * statement facts: src/sql/facts.ts `claim`), every bad SQL fixture is run on a
 * fresh database: first its setup (test/support/fixture-setup.ts: a folder
 * `setup.sql` and the fixture's `-- setup:` lines), then its statements of the
 * finding's direction in order, each in its own transaction (the fixture's own
 * BEGIN/COMMIT are left out: transactions are this harness's). For a statement with
 * a claiming finding, before its COMMIT, pg_locks of this backend must show:
 * - on the claimed relation, exactly the claimed mode as the strongest lock held;
 * - on every relation the statement facts list (`locks`), exactly that mode;
 * - on no table that existed before, an unclaimed lock stronger than ROW EXCLUSIVE;
 * and the claimed relation's `pg_class.relfilenode` must change exactly when the
 * claim says `rewrites` (not checked when it says `maybe`). A fixture with
 * placeholders (an interpolated template, a blanked `{{ }}`) is skipped: it cannot run as written. The facts are computed for the server's version; a fixture
 * written for another `pgVersion` (`bad.pg11.sql`) is skipped on it.
 *
 * A rule helper only adds fixtures: a claim without the setup its statement needs
 * fails here with the server's error.
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
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';
import { fixtureConfig, fixtureInputs } from './support/fixtures.js';
import { fixtureSetup } from './support/fixture-setup.js';
import { fixturesDir } from './support/paths.js';
import { forEachServer, type TestServer } from './support/pg.js';

const STRENGTH = new Map(LOCK_MODES.map((m, i) => [m, i]));

/** A bad SQL fixture of a rule, with the findings its rule makes on the server's version. */
function claimsOf(id: string, file: string, text: string, pgVersion: number): { statements: Statement[]; findings: Diagnostic[] } {
  const cfg = config({ ...fixtureConfig(file), pgVersion });
  const unit = loadUnit(file, text, cfg.settings);
  const rule = rules.find((r) => r.meta.id === id)!;
  const findings = rule.check(unit, { settings: cfg.settings, options: cfg.rules[id]?.options ?? {} }).filter((d) => d.lock);
  return { statements: unit.statements, findings };
}

/** Fixtures whose rule makes at least one lock claim (decided on the newest server version the harness runs). */
const CASES = rules.flatMap((r) =>
  fixtureInputs(r.meta.id)
    .filter((f) => f.startsWith('bad') && f.endsWith('.sql'))
    .flatMap((file) => {
      const text = readFileSync(join(fixturesDir, 'rules', r.meta.id, file), 'utf8');
      return claimsOf(r.meta.id, file, text, fixtureConfig(file).pgVersion ?? 18).findings.length ? [{ id: r.meta.id, file, text }] : [];
    }),
);

it('some rule claims a lock, so the check below runs', () => {
  assert.ok(CASES.length > 0);
});

forEachServer('rule lock claims against pg_locks', (server: TestServer) => {
  for (const c of CASES) {
    const pinned = fixtureConfig(c.file).pgVersion;
    it(`${c.id}/${c.file}`, async (t) => {
      if (pinned !== undefined && pinned !== server.version) return t.skip(`written for PostgreSQL ${pinned}`);
      const { statements, findings } = claimsOf(c.id, c.file, c.text, server.version);
      if (statements.some((s) => s.interpolated) || findings.some((d) => d.lock!.relation.split('.').some(isPlaceholder))) return t.skip('has placeholders: its statements cannot run as written');
      const client = new pg.Client({ connectionString: await server.freshDatabase('rule_locks') });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const setup = fixtureSetup(c.id, c.text);
        if (setup) await client.query(setup);
        await client.query("SET lock_timeout = '5s'");
        const phase = statements.find((s) => findings.some((f) => within(f, s)))?.phase ?? 'up';
        let prevEnd = -1;
        for (const s of statements) {
          // Statements inside a DO block are run by the DO itself.
          if (s.span.start < prevEnd || s.phase !== phase) continue;
          prevEnd = s.span.end;
          const f = factsOf(s);
          if (f.kind.class === 'transaction-control') continue;
          const mine = findings.filter((d) => within(d, s));
          if (!f.kind.transactional) {
            assert.equal(mine.length, 0, `${s.sql}: a claim on a statement that cannot run in a transaction block is not checked here`);
            await client.query(s.sql);
            continue;
          }
          await client.query('BEGIN');
          try {
            const claimed = [...mine.map((d) => ({ relation: d.lock!.relation, mode: d.lock!.mode as LockMode, rewrites: d.lock!.rewrites ?? false, facts: false })), ...(mine.length ? f.locks.map((l) => ({ relation: l.relation, mode: l.mode, rewrites: false, facts: true })) : [])];
            const before = new Map<string, { oid: number; node: number }>();
            for (const cl of claimed) {
              const r = await client.query<{ oid: number | null; node: number | null }>('SELECT c.oid::int AS oid, c.relfilenode::int AS node FROM pg_class c WHERE c.oid = to_regclass($1)', [cl.relation]);
              assert.ok(r.rows[0]?.oid, `${cl.relation} exists before: ${s.sql} (add it to the fixture's setup)`);
              before.set(cl.relation, { oid: r.rows[0]!.oid!, node: r.rows[0]!.node! });
            }
            const tables = (await client.query<{ oid: number; name: string }>("SELECT c.oid::int AS oid, c.oid::regclass::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND c.relkind IN ('r', 'p', 'm')")).rows;
            await client.query(s.sql);
            if (mine.length === 0) continue;
            const held = await locksHeld(client);
            for (const cl of claimed) {
              const b = before.get(cl.relation)!;
              const what = cl.facts ? 'the statement facts say' : `${c.id} claims`;
              assert.equal(held.get(b.oid), cl.mode, `${s.sql}\n${cl.relation}: ${what} ${cl.mode}, pg_locks shows ${held.get(b.oid) ?? 'no lock'}`);
              if (cl.facts || cl.rewrites === 'maybe') continue;
              const after = (await client.query<{ node: number | null }>('SELECT relfilenode::int AS node FROM pg_class WHERE oid = $1', [b.oid])).rows[0]?.node;
              assert.equal(after !== b.node, cl.rewrites, `${s.sql}\n${cl.relation}: ${c.id} claims ${cl.rewrites ? 'a rewrite' : 'no rewrite'}, relfilenode ${after !== b.node ? 'changed' : 'stayed'}`);
            }
            for (const tbl of tables) {
              const mode = held.get(tbl.oid);
              if (!mode || STRENGTH.get(mode)! <= STRENGTH.get('ROW EXCLUSIVE')!) continue;
              const covered = claimed.some((cl) => before.get(cl.relation)?.oid === tbl.oid && STRENGTH.get(cl.mode)! >= STRENGTH.get(mode)!);
              assert.ok(covered, `${s.sql}\n${tbl.name} holds ${mode}, which neither the claim nor the facts name`);
            }
          } finally {
            await client.query('COMMIT').catch(() => client.query('ROLLBACK'));
          }
        }
      } finally {
        await client.end();
      }
    });
  }
});

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


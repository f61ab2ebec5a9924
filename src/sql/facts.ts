/**
 * Statement facts: what every rule and migrun's planner need to know about one
 * statement, made by `computeContexts` (src/sql/context.ts) from the state before it
 * (the costly ones computed on first read, once: src/sql/statement-facts.ts) and read
 * with `factsOf(statement)`. Ask for what a rule needs when it needs it: a walk over
 * every statement that reads `f.effects` first and its kind second computes effects for all.
 *
 * ## How to write a catalogue rule on the facts
 *
 * A rule is `rules/<id>.ts` (`defineRule({ meta, check })`), `rules/<id>.md` (the
 * fixed headings), `fixtures/rules/<id>/bad.*` / `good.*` with snapshots, and a
 * line in `rules/index.ts`. Its `check` is a short predicate over facts, never
 * another walk over the AST:
 *
 * ```ts
 * check(unit) {
 *   return unit.statements.flatMap((s) => {
 *     const f = factsOf(s);
 *     return f.alter.flatMap((sub) => {
 *       if (sub.kind !== 'add-column' || !sub.column.notNull || sub.column.default) return [];
 *       if (f.table === null || f.schema.tableCreated(f.table)) return []; // no rows yet: harmless
 *       const lock = f.locks.find((l) => l.key === f.table)!;
 *       return [{ ruleId: 'adding-required-field', message: '...', note: lockSentence(lock), help: '...', span: s.span, lock: claim(lock) }];
 *     });
 *   });
 * }
 * ```
 *
 * - `f.kind`: classification (class, command tag, whether it may run in a transaction block).
 * - `f.locks`: each relation's lock (mode, manual page), `key` schema-qualified and
 *   case-correct, `existing` false when the unit created the table earlier; locks on
 *   tables the statement does not name (tied by foreign keys, partitions, a domain's
 *   columns: src/sql/reach.ts) are named from the schema delta where it knows them, else
 *   one lock with `key` null and a `reach` that says which set it is.
 * - `f.alter`: typed ALTER TABLE subcommands (src/sql/alter.ts), each with its own lock;
 *   `f.table` the altered table's key.
 * - `f.dml`: an UPDATE / DELETE / INSERT ... SELECT, its table and whether it is bounded to a batch; `f.cascade`: DROP/TRUNCATE ... CASCADE.
 * - `f.effects`: rewrites, scans, index builds on `f.pgVersion` (src/sql/costs.ts), with the versions where that holds.
 * - `f.schema`: the unit's schema delta before the statement (src/sql/schema-delta.ts):
 *   tables created, columns with types and nullability, constraints with validity, indexes, enum values.
 * - `f.settings`: the settings in force (`lock_timeout`, `statement_timeout`, `search_path`, ...; src/sql/settings.ts).
 * - `f.transaction` / `f.connection`: the transaction block (owner and identity) and session it runs in.
 *
 * A finding about a lock says so in `Diagnostic.lock` (the claim, `claim(lock)`):
 * test/rule-locks.test.ts runs every bad SQL fixture of a rule with such findings on
 * real PostgreSQL 15 and 18 and checks the claim against `pg_locks` (and a claimed
 * rewrite against `pg_class.relfilenode`). Fixtures that need tables start with a
 * `-- setup:` block (see test/support/fixture-setup.ts). Names in messages go through
 * `quoteName`; what the lock blocks through `lockSentence` / `describeBlocking`.
 * Framework idioms (a rethrow, a switch) come from the unit's `edits`, called only for
 * findings that fire.
 */
import type { Statement, TransactionOwner } from '../core/unit.js';
import type { AlterSubcommand } from './alter.js';
import type { StatementInfo } from './classify.js';
import type { Effect } from './costs.js';
import type { DmlFact } from './dml.js';
import type { LockMode } from './lock-modes.js';
import type { LockRequirement, Reach } from './locks.js';
import type { RelationKey } from './names.js';
import type { SchemaView } from './schema-view.js';
import type { KnownColumn } from './prior.js';
import type { SettingsInForce } from './settings.js';

export type { AlterSubcommand, ColumnFact, ConstraintFact, DefaultFact, TypeFact } from './alter.js';
export type { Effect } from './costs.js';
export type { DmlFact } from './dml.js';
export type { SchemaView, ColumnState, ConstraintState, IndexState, EnumValueState } from './schema-view.js';
export type { SettingFact, SettingsInForce } from './settings.js';
export type { KnownColumn, PriorColumn, PriorSchema } from './prior.js';
export { timeoutInForce } from './settings.js';

/** A table-level lock with the relation resolved. */
export interface LockFact extends LockRequirement {
  /** The relation's schema-qualified, case-correct key (`public.leads`), resolved through the statement's search_path; null when unnamed. */
  key: RelationKey | null;
  /** False when the unit created the table earlier in the same direction (no one else can be using it). Indexes: true. */
  existing: boolean;
}

/** The transaction block a statement runs in. */
export interface TransactionFact {
  owner: TransactionOwner;
  /** Identity of the block (two blocks never share it; a BEGIN ... COMMIT pair and the next one do not either); null in autocommit. */
  id: string | null;
  /**
   * On a BEGIN / START TRANSACTION: the identity of the block it opens (a BEGIN inside an open block opens none:
   * PostgreSQL only warns, so it names that block). A later statement with this `id` that is a COMMIT,
   * ROLLBACK or PREPARE TRANSACTION ends it.
   */
  opens?: string;
}

export interface StatementFacts {
  /** What kind of statement it is (src/sql/classify.ts). */
  kind: StatementInfo;
  /** The target PostgreSQL major version the facts are for (the `pgVersion` setting). */
  pgVersion: number;
  locks: LockFact[];
  /** The table an ALTER TABLE / RENAME alters, keyed; null otherwise. */
  table: RelationKey | null;
  alter: AlterSubcommand[];
  effects: Effect[];
  /** An UPDATE / DELETE / INSERT ... SELECT: the table it writes and whether its WHERE bounds it to a batch (src/sql/dml.ts). */
  dml: DmlFact | null;
  /** A DROP or TRUNCATE that says CASCADE. */
  cascade: boolean;
  /** The unit's schema delta before this statement (same direction). */
  schema: SchemaView;
  /**
   * A column's type and nullability before this statement: from the unit's delta, else what the frontend
   * stated, else (up direction) from the earlier migrations of its folder, with the file that says it
   * (src/sql/prior.ts). The first question about an earlier file may read the folder's migrations.
   */
  columnBefore(table: RelationKey, column: string): KnownColumn;
  settings: SettingsInForce;
  transaction: TransactionFact;
  /** The session's key (context.ts `connectionKey`): statements with the same key share a connection. */
  connection: string;
}

/** What a finding says about the lock it is about: checked against pg_locks by test/rule-locks.test.ts. */
export interface LockClaim {
  /** The relation as SQL (`public.leads`). */
  relation: string;
  mode: LockMode;
  /** The statement also rewrites that relation (its relfilenode changes); `maybe` when the facts cannot tell (src/sql/costs.ts `Effect.maybe`). */
  rewrites?: boolean | 'maybe';
  /** A set of tables the statement does not name (src/sql/reach.ts): `relation` then describes it. */
  reach?: Reach;
}

/** The claim for a lock fact (and whether the statement rewrites that table, from `effects`). */
export function claim(lock: LockFact, effects: readonly Effect[] = []): LockClaim {
  const writes = effects.filter((e) => e.table === lock.key && (e.kind === 'rewrite' || e.kind === 'new-storage'));
  const rewrites = writes.some((e) => !e.maybe) ? true : writes.length ? ('maybe' as const) : undefined;
  return { relation: lock.relation, mode: lock.mode, ...(rewrites !== undefined ? { rewrites } : {}), ...(lock.reach ? { reach: lock.reach } : {}) };
}

/**
 * The facts of a statement.
 * @throws Error when `computeContexts` has not run on its unit (a frontend or test built it by hand).
 */
export function factsOf(s: Statement): StatementFacts {
  const f = s.facts;
  if (!f) throw new Error(`statement facts not computed for: ${s.sql.slice(0, 60)}`);
  return f;
}

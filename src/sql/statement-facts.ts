/**
 * One statement's facts (the `StatementFacts` of src/sql/facts.ts), built by `computeContexts`
 * (src/sql/context.ts) from the state before the statement: the cheap ones (classification,
 * settings, transaction, schema view) at once, the costly ones (locks, subcommands, effects, the
 * data-change fact) on first read, each once.
 *
 * Computing on first read gives the same answers as computing at once: everything a fact is made
 * of is fixed when the object is built (the statement's node and context, the schema delta's view
 * as of the statement, which later statements do not change, the settings map in force, the
 * prior schema of earlier files). Most statements are asked only for a few facts, many for none.
 */
import type { Statement, StatementContext } from '../core/unit.js';
import { alterSubcommands, type AlterSubcommand, type TypeFact } from './alter.js';
import type { StatementInfo } from './classify.js';
import { effectsOf, type Effect } from './costs.js';
import { dmlFact, saysCascade, type DmlFact } from './dml.js';
import type { LockFact, StatementFacts, TransactionFact } from './facts.js';
import { locksOf } from './locks.js';
import { fromRangeVar, resolvedKey, type RelationKey } from './names.js';
import { knownColumn, priorNotNullCheck, type KnownColumn, type PriorSchema } from './prior.js';
import { reachedEffects, reachedLocks } from './reach.js';
import type { SchemaView } from './schema-view.js';
import type { SettingsInForce } from './settings.js';

/** Not computed yet (a fact may itself be null). */
const UNSET = Symbol('unset');

type RangeVarLike = Parameters<typeof fromRangeVar>[0];

/**
 * The facts of one statement as of the state before it (see the module comment).
 * Build it after the statement's `context` is set; the view must be taken before the statement is applied.
 */
export class LazyStatementFacts implements StatementFacts {
  readonly cascade: boolean;
  private readonly node: Statement['node'];
  private readonly context: StatementContext;
  private readonly stated: Record<string, TypeFact> | undefined;
  private lockList: LockFact[] | undefined;
  private tableKey: RelationKey | null | typeof UNSET = UNSET;
  private subcommands: AlterSubcommand[] | undefined;
  private effectList: Effect[] | undefined;
  private dmlOf: DmlFact | null | typeof UNSET = UNSET;

  /**
   * @param s the statement, its `context` already set; @param schema the delta's view before it;
   * @param prior the state before the migration (up direction only), asked only when a fact needs it.
   */
  constructor(
    s: Statement,
    readonly kind: StatementInfo,
    readonly pgVersion: number,
    readonly schema: SchemaView,
    readonly settings: SettingsInForce,
    readonly transaction: TransactionFact,
    readonly connection: string,
    private readonly prior: PriorSchema | undefined,
  ) {
    this.node = s.node;
    this.context = s.context;
    this.stated = s.priorColumnTypes;
    this.cascade = saysCascade(s.node);
  }

  /** A column's type and nullability before the statement (see `StatementFacts.columnBefore`). */
  columnBefore(table: RelationKey, column: string): KnownColumn {
    return knownColumn(this.schema, this.prior, this.stated, table, column);
  }

  get locks(): LockFact[] {
    if (this.lockList) return this.lockList;
    const context = this.context;
    // locksOf's requirements are the statement's own (built for this call): each becomes its lock fact in place.
    const locks = locksOf(this.node, this.pgVersion) as LockFact[];
    for (const l of locks) {
      const key = l.target ? resolvedKey(l.target, context) : null;
      l.key = key;
      l.existing = l.relationKind === 'index' || key === null || !context.createdTables.has(key);
    }
    const reached = reachedLocks(this.node, locks, this.schema, this.cascade, (n) => resolvedKey(n, context), this.pgVersion);
    for (const l of reached) locks.push(l);
    return (this.lockList = locks);
  }

  get table(): RelationKey | null {
    if (this.tableKey !== UNSET) return this.tableKey;
    const node = this.node;
    const rv = 'AlterTableStmt' in node ? node.AlterTableStmt.relation : 'RenameStmt' in node ? node.RenameStmt.relation : undefined;
    const name = fromRangeVar(rv);
    return (this.tableKey = name ? resolvedKey(name, this.context) : null);
  }

  get alter(): AlterSubcommand[] {
    if (this.subcommands) return this.subcommands;
    const table = this.table;
    return (this.subcommands = alterSubcommands(this.node, this.pgVersion).map((sub) => {
      if (sub.kind !== 'alter-column-type' || table === null) return sub;
      const before = this.columnBefore(table, sub.column);
      return { ...sub, oldType: before.type, ...(before.typeFrom !== undefined ? { oldTypeFrom: before.typeFrom } : {}) };
    }));
  }

  get dml(): DmlFact | null {
    if (this.dmlOf !== UNSET) return this.dmlOf;
    return (this.dmlOf = dmlFact(this.node, (r) => this.keyOf(r), this.schema));
  }

  get effects(): Effect[] {
    if (this.effectList) return this.effectList;
    const session = {
      timeZone: this.settings.get('timezone')?.value ?? null,
      dml: this.dml,
      columnBefore: (t: RelationKey, c: string) => this.columnBefore(t, c),
      notNullCheckBefore: (t: RelationKey, c: string) => priorNotNullCheck(this.schema, this.prior, t, c),
    };
    // effectsOf's array is its own (made for this call): the reached scans follow its effects in it.
    return (this.effectList = reachedEffects(this.locks, effectsOf(this.node, this.alter, this.table, this.schema, this.pgVersion, (r) => this.keyOf(r), session)));
  }

  /** A RangeVar's key, resolved with the statement's search_path (null when it names nothing). */
  private keyOf(r: RangeVarLike): RelationKey | null {
    const n = fromRangeVar(r);
    return n ? resolvedKey(n, this.context) : null;
  }
}

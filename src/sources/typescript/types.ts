/** Types shared by the TypeScript/JavaScript frontend's modules. */
import type { ArrowFunction, CallExpression, FunctionDeclaration, FunctionExpression, MethodDeclaration, Node, SourceFile, TaggedTemplateExpression } from 'ts-morph';
import type { Edit, Span } from '../../core/diagnostic.js';
import type { RunnerMetadata } from '../../core/rule.js';
import type { SourceText } from '../../core/source-text.js';
import type { ClientSetting, Executor, Framework, FrameworkIdioms, MigrationUnit, Phase, UnanalysedFact } from '../../core/unit.js';
import type { FrameworkModule } from '../registry.js';
import type { ConstTable } from './literals.js';
import type { NodeIndex } from './nodes.js';
import type { Placeholders } from './placeholders.js';
import type { RawQuery } from './queries.js';
import type { MovedCheck, SessionUses } from './session-fix.js';

export type FunctionLike = FunctionDeclaration | FunctionExpression | ArrowFunction | MethodDeclaration;

/** A function the framework calls for one migration direction. */
export interface PhaseFunction {
  phase: 'up' | 'down';
  fn: FunctionLike;
  /** The name the first parameter binds (`queryRunner`, `knex`, `pgm`, `{ context: queryInterface }` → `queryInterface`). */
  param: string | null;
  /** The first parameter's type annotation as written, e.g. `QueryRunner`, `Kysely<any>`. */
  paramType: string | null;
  paramCount: number;
}

/** What every module of the frontend knows about the file being analysed. */
export interface Env {
  file: string;
  text: string;
  source: SourceText;
  sf: SourceFile;
  language: 'ts' | 'js';
  framework: Framework;
  phases: PhaseFunction[];
  consts: ConstTable;
  /** Module specifiers the file imports or requires. */
  imports: string[];
  /** Every node of the file, in document order. */
  nodes: NodeIndex;
  /** One numbering of unknown values for the whole unit. */
  placeholders: Placeholders;
  /** The frontend's framework modules (frameworks.ts), in detection order. */
  frameworks: readonly FrameworkSupport[];
  /** The tool the project depends on that calls the migration's functions (ley, postgres-shift), from its package.json; null: none found. */
  runner: NonNullable<RunnerMetadata['codeRunner']> | null;
}

/** A builder call translated into the SQL the framework would send. */
export interface BuiltSql {
  sql: string;
  /** The call (or the part of a chain) that produces the statement. */
  span: Span;
  /** Some name or value came from an expression that could not be resolved. */
  interpolated: boolean;
  /** Sent in the same query string as the previous built statement (Sequelize's changeColumn). */
  sameBatch?: boolean;
  /** Who runs it, when not the framework's builder (migrun's `ctx.backfill` runs on `execDml`). */
  executor?: Executor;
  /**
   * The SQL types columns of the statement's table had before it, as the framework's own
   * state knows them from outside this file (Django's earlier migrations): column → type,
   * e.g. `{ code: 'varchar(50)' }`. The unit's schema delta, when it says the type, wins.
   */
  priorColumnTypes?: Record<string, string>;
  /** Fix edits for this call, computed while the syntax tree exists. */
  hooks?: BuilderHooks;
  /** What the framework's call does that its SQL alone does not say (`Statement.builderEffect`). */
  effect?: string;
  /**
   * Set when the call's SQL cannot be reconstructed at all (`sql` is then ignored): the
   * call becomes an `unanalyzable-statement` fact with this message and help.
   */
  unanalysed?: { message: string; help: string };
}

/** Edits on one builder call; closures over plain data (offsets and strings), never over nodes. */
export interface BuilderHooks {
  /** Sets boolean options (`concurrently`, `ifNotExists`, `ifExists`) the framework's builder supports. */
  setOptions?: (options: Record<string, boolean>) => Edit[] | null;
  /** Replaces the call with the framework's raw-query call running `sql`. */
  replaceWithRaw?: (sql: string, quote: (s: string) => string) => Edit[] | null;
}

/**
 * A TS/JS framework module: the framework-specific half of the frontend, one object per
 * framework file (`knex.ts` exports `knex`), listed in frameworks.ts. Its id, name and
 * session kinds are `FrameworkModule`'s (src/sources/registry.ts).
 */
export interface FrameworkSupport extends FrameworkModule {
  framework: Framework;
  /** Its idioms for this file, when they depend on how it runs (`idioms` otherwise). */
  idiomsOf?(env: Env): FrameworkIdioms | undefined;
  /** Translates a builder call into SQL; null when the call is not one of the framework's builders. */
  builder?(call: CallExpression, env: Env): BuiltSql[] | null;
  /**
   * What the client library's configuration in the file says: the settings it opens every
   * connection with (`MigrationUnit.clientSettings`), and what of it could not be read (options
   * from elsewhere, hooks that may rewrite the queries), as located facts. Absent: nothing.
   */
  clientConfiguration?(env: Env): { settings: ClientSetting[]; unanalysed: UnanalysedFact[] };
  /** Whether the framework wraps each migration in a transaction (before `assumeInTransaction`). */
  wrapped(env: Env): MigrationUnit['wrapped'];
  /** Edits turning the wrapping transaction off for `phase` (computed eagerly: the syntax tree is gone later). */
  disableTransaction?(env: Env, phase: Phase): Edit[] | null;
  /**
   * The code of a statement running `sqlLiteral` (a JS string literal) in a phase function,
   * without the trailing `;`, and extra edits it needs (an import); null if the framework has none.
   */
  rawStatement?(env: Env, phase: PhaseFunction): RawStatementMaker | null;
  /** The code that commits, rolls back and releases each session kind of `sessionKinds` (for the wrap-in-try fix). */
  sessionCode?: Readonly<Record<string, SessionCodeMaker>>;
  /** How a migration of this framework is recognised (see `detectFramework` in shape.ts). */
  detect?: FrameworkDetection;
  /**
   * Which connection the framework runs a phase's queries on, so a `SET` a fix inserts reaches
   * the statement's connection: `single` every query of the migration (migrun's ctx); `pool`
   * any pooled connection (Sequelize's queryInterface: a SET can go nowhere); `phase-param` the
   * phase's parameter (TypeORM's queryRunner, node-pg-migrate's pgm); `wrapped-handle` the
   * phase's handle and handles made from it inside the phase, when the migration is wrapped
   * (knex, Kysely). Absent: the statement's own receiver, unless it looks like a pool.
   */
  connections?: 'single' | 'pool' | 'phase-param' | 'wrapped-handle';
  /**
   * Which connection a statement run through the identifier `root` (null: none) in direction
   * `phase` uses, where the module tells it apart by name (slonik: a `connect(cb)` callback's
   * parameter is one connection, anything else its pool): `phase` the phase's one connection,
   * `anchor` the root's own binding, null a pool (or a transaction the code opens, keyed by it);
   * undefined falls back to `connections`. `wrapped`: the phase runs in the runner's transaction
   * (the framework's or `assumeInTransaction`). Asked on the unit's framework module only.
   */
  pin?(root: string | null, phase: Phase, wrapped: boolean, env: Env): 'phase' | 'anchor' | null | undefined;
  /**
   * Recognises a raw-SQL call or tagged template of this framework that the generic
   * recognition (queries.ts: `x.query(...)`, `x.raw(...)`, `` sql`...` ``) does not, or
   * reads differently (migrun's executors, db-migrate's `db.runSql`); null to leave the
   * node to the others. Asked for every unit, whatever its framework, in frameworks.ts
   * order: a hook whose calls only mean SQL in its own migrations checks `env.framework`.
   */
  rawQuery?(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null;
  /**
   * Set when `rawQuery` returns null for every method call (`receiver.method(...)`) of a unit
   * of another framework: there such a call that the generic recognition reads as it is (a
   * `.query('...')` with a literal) is read without asking the hook (or making wrappers).
   */
  rawQueryOnlyInOwnUnits?: true;
  /**
   * False only where `builder` returns null for every call `receiver.<method>(...)` of this
   * unit; asked on the compiler's nodes before the call gets a wrapper. Absent: `builder` is
   * asked of every method call.
   */
  builderMayClaim?(method: string, env: Env): boolean;
  /**
   * In this framework's units a tagged template is a query only where `rawQuery` reads one:
   * the generic `` sql`...` `` recognition (queries.ts) is off (slonik: a token runs only when
   * passed to a query method; `(row) => sql\`(...)\`` builds a fragment).
   */
  templatesAreFragments?: boolean;
  /**
   * Whether `receiver.method(...)` certainly runs SQL (for the `unanalyzable-statement` fact
   * when its SQL cannot be read), beyond the generic query methods on the migration's handle.
   * Asked like `rawQuery`.
   */
  runsSql?(call: CallExpression, receiver: Node, method: string, env: Env): boolean;
  /**
   * Whether an expression assigned to a variable opens one of this module's `sessionKinds`
   * by hand (`await pool.connect()`, `await knex.transaction()` without a callback): `expr`
   * is the assigned value without its `await`, `awaited` whether it had one. Asked on the
   * unit's framework module first, then the others in frameworks.ts order.
   */
  sessionOpening?(expr: Node, awaited: boolean, env: Env): { kind: string; opensTransaction: boolean } | null;
  /**
   * Moves a catalog check off a session that exists only for it (the first fix of
   * `no-idle-in-transaction`, session-fix.ts): the edits making `check` run on the
   * framework's autocommit path, or null. Asked on the unit's framework module first
   * (migrun turns the check into `ctx.check...`), then on the module owning `u.kind`.
   */
  moveCheck?(u: SessionUses, check: CallExpression, env: Env): MovedCheck | null;
}

/**
 * The evidence that a module is a migration of this framework, strongest first; each kind
 * of evidence is tried over every module (in frameworks.ts order) before the next kind.
 */
export interface FrameworkDetection {
  /** A class of the file implements an interface matching this (TypeORM's `MigrationInterface`). */
  implements?: RegExp;
  /** The phase function's first parameter's type annotation, as written (`QueryRunner`, `Kysely<any>`). */
  paramType?: RegExp;
  /** A module the file imports or requires (`^knex(\/|$)`). */
  imports?: RegExp;
  /** Names the framework's generators and docs give the first parameter (`queryRunner`). */
  params?: readonly string[];
  /** With exactly two parameters, a second one named like this (Sequelize's `(queryInterface, Sequelize)`). */
  secondParam?: RegExp;
  /**
   * What the phase does with its first parameter: `uses` holds the property names read off it
   * (`pgm.createIndex` gives `createIndex`). Tried in ascending `order` over all modules.
   */
  byUse?: { order: number; test(uses: ReadonlySet<string>, phase: PhaseFunction): boolean };
  /** Weaker parameter names, used when the uses say nothing (`client`, `pool`). */
  weakParams?: readonly string[];
  /** Phase functions that are methods of a class, when nothing else spoke (TypeORM's class migrations). */
  classMethods?: boolean;
  /** Imports that name it weakly, tried last (`pg`). */
  weakImports?: RegExp;
  /** The framework of code that sends raw queries through no recognised framework (`pg`). */
  rawQueries?: boolean;
}

/** The code of a session's operations in the file's style, each a statement without its `;`. */
export interface SessionCode {
  /** Rolls the transaction back (`await trx.rollback()`). */
  rollback: string;
  /** Rolls back only when a transaction is open, for a `catch` (`if (qr.isTransactionActive) await qr.rollbackTransaction()`). */
  guardedRollback: string;
  commit: string;
  /** Gives the connection back (`client.release()`), or null when closing the transaction releases it. */
  release: string | null;
}

/**
 * Writes the code of a session's operations: `name` is the variable naming it, `quote`
 * makes a string literal in the file's style, `newClient` says it was made with `new`
 * (pg's `new Client()`, closed with `end()` rather than `release()`).
 */
export type SessionCodeMaker = (name: string, quote: (s: string) => string, acquired: { newClient: boolean }) => SessionCode;

export interface RawStatementMaker {
  /** Whether the statement uses `await` (the function is made async if it is not). */
  awaits: boolean;
  code(sql: string, quote: (s: string) => string): string;
  extraEdits?: Edit[];
}

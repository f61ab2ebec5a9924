/** Types shared by the TypeScript/JavaScript frontend's modules. */
import type { ArrowFunction, CallExpression, FunctionDeclaration, FunctionExpression, MethodDeclaration, SourceFile } from 'ts-morph';
import type { Edit, Span } from '../../core/diagnostic.js';
import type { SourceText } from '../../core/source-text.js';
import type { Executor, Framework, MigrationUnit, Phase } from '../../core/unit.js';
import type { FrameworkModule } from '../registry.js';
import type { ConstTable } from './literals.js';
import type { NodeIndex } from './nodes.js';
import type { Placeholders } from './placeholders.js';

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
  /** Fix edits for this call, computed while the syntax tree exists. */
  hooks?: BuilderHooks;
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
  /** Translates a builder call into SQL; null when the call is not one of the framework's builders. */
  builder?(call: CallExpression, env: Env): BuiltSql[] | null;
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

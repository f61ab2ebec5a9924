/** Types shared by the TypeScript/JavaScript frontend's modules. */
import type { ArrowFunction, CallExpression, FunctionDeclaration, FunctionExpression, MethodDeclaration, SourceFile } from 'ts-morph';
import type { Edit, Span } from '../../core/diagnostic.js';
import type { SourceText } from '../../core/source-text.js';
import type { Executor, Framework, MigrationUnit, Phase } from '../../core/unit.js';
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

/** The framework-specific half of the frontend. */
export interface FrameworkSupport {
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
}

export interface RawStatementMaker {
  /** Whether the statement uses `await` (the function is made async if it is not). */
  awaits: boolean;
  code(sql: string, quote: (s: string) => string): string;
  extraEdits?: Edit[];
}

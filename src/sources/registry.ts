/**
 * The frontend registry: the one list of the languages miglint reads, and the
 * interfaces a language frontend and a framework module implement.
 *
 * - A **language frontend** (`LanguageFrontend`) owns a kind of file: its extensions,
 *   its comment syntax (for suppressions and the editor's "ignore" action), its
 *   syntax check (used to refuse writing a broken fix), its asynchronous
 *   preparation (loading a parser) and its parse into a `MigrationUnit`.
 * - A **framework module** (`FrameworkModule`) lives inside a language frontend's
 *   directory and owns one migration framework or library of that language: how its
 *   migrations are recognised, which calls carry raw SQL, how builder calls become SQL,
 *   its transaction semantics and switch-off, its session kinds (with the code that
 *   commits, rolls back and releases them) and its fix idioms. Everything of it that
 *   needs the language's syntax tree is typed by that language frontend (for TS/JS:
 *   `FrameworkSupport` in `typescript/types.ts`); what the rest of miglint sees of it
 *   reaches rules through the unit (`MigrationUnit.framework`, `SessionFact.label`), so
 *   no rule imports a framework (and the heavy parser behind it). A language frontend
 *   keeps the list of its framework modules itself (TS/JS: `typescript/frameworks.ts`).
 *
 * The engine, discovery, suppressions, `verify` and the rules iterate this registry
 * and never name a language. Adding a language is a directory `src/sources/<lang>/`
 * exporting a `LanguageFrontend` object, plus its line in `BUILT_IN` below.
 *
 * The objects listed here are imported eagerly by every run (and by the language server
 * at start-up), so a frontend object must be cheap to import: load the parser (and
 * the modules that import it) in `prepare()`, e.g. with `await import('./index.js')`.
 */
import type { LintSettings } from '../core/rule.js';
import type { Framework, FrameworkIdioms, MigrationUnit } from '../core/unit.js';
import { sqlFrontend } from './sql-frontend.js';
import { pythonFrontend } from './python/frontend.js';
import { typescriptFrontend } from './typescript/frontend.js';

/**
 * A language frontend's id, as rules name it in `RuleMeta.appliesTo` and as
 * `MigrationUnit.language` may refine it: `sql`, `ts` (TypeScript and JavaScript),
 * `python`. Lower-case kebab-case.
 */
export type LanguageId = string;

/**
 * What a frontend's files are: `sql` is SQL itself (each statement is the file's own
 * text); `code` is a programming language whose migrations carry SQL in calls and
 * builders, and may open sessions and catch errors. A rule's `appliesTo` may name a kind
 * instead of a language id: `['sql', 'code']` is every frontend, `['code']` every
 * programming language (today TS/JS, Python once registered).
 */
export type FrontendKind = 'sql' | 'code';

/**
 * How comments are written in a language, for suppression comments
 * (`<marker> miglint-ignore <rule-id>`) and the "ignore" code action.
 * Markers are literal text, not regular expressions.
 */
export interface CommentSyntax {
  /** Line-comment markers, the preferred first: `['--']` (SQL), `['//']` (TS/JS), `['#']` (Python), `[';;']`. */
  line: readonly string[];
  /** Block-comment delimiters, e.g. `[['/*', '*\/']]`; none when the language has none. */
  block?: readonly (readonly [open: string, close: string])[];
}

/** A language frontend: one kind of file, from its extension to its migration unit. */
export interface LanguageFrontend {
  /** The language's id (see `LanguageId`), unique in the registry. */
  readonly id: LanguageId;
  /** What the files are (see `FrontendKind`). */
  readonly kind: FrontendKind;
  /** A name for messages, e.g. `TypeScript/JavaScript`. */
  readonly name: string;
  /**
   * The file extensions it reads, lower-case with the dot (`['.py']`); a file's name is
   * compared lower-cased, by its end, so `.d.ts`-like multi-dot extensions work. No two
   * frontends may share one.
   */
  readonly extensions: readonly string[];
  /**
   * Whether a file with one of `extensions` is left out of a directory walk although the
   * frontend could read it (TypeScript's `.d.ts` declaration files). Named explicitly, it
   * is still linted. Default: none is left out.
   */
  skipsInWalk?(file: string): boolean;
  /**
   * The comment syntax of the language itself. SQL's (`--`, `/* *\/`) is accepted in every
   * language too, since SQL comments inside query strings are comments of the unit.
   */
  readonly comments: CommentSyntax;
  /**
   * Loads what `parse` and `syntaxProblem` need (a parser's wasm, a compiler), once; later
   * calls return at once. Called by `prepareFrontends` only when a file of this kind is
   * about to be linted. The SQL parser is initialised before it by the registry's caller.
   * @throws when the parser cannot be loaded (an install problem: a run error, not a finding).
   */
  prepare(): Promise<void>;
  /**
   * Builds the migration unit of one file (the caller then computes the statements'
   * contexts). Fail closed: what it cannot read goes into `unit.unanalysed` or
   * `unit.syntaxErrors`, located; `unit.comments` holds every comment (with its markers)
   * so suppressions can be read; offsets are UTF-16 code units into `text`.
   * @throws Error when `prepare()` has not completed; anything else thrown is a bug,
   * reported by the engine as `internal-error`.
   */
  parse(file: string, text: string, settings: LintSettings): MigrationUnit;
  /**
   * The first syntax problem of `text` as this language (a one-line description), or null
   * when it parses: a fix whose output has one, where the input had none, is not written.
   * May be called without `prepare()` (load lazily then); SQL inside strings need not be checked.
   */
  syntaxProblem(file: string, text: string): string | null;
  /**
   * The note of the `unanalyzable-file` finding on a file that is not valid UTF-8: what
   * the language's runtime makes of such bytes. Default: a generic sentence.
   */
  readonly invalidUtf8Note?: string;
  /**
   * The migration frameworks its modules read, as a cheap list (importing the modules loads the
   * language's parser): each with its module's id and name and the packages whose presence among
   * a project's dependencies shows it (`miglint init`, `miglint --help`). A test keeps it in step
   * with the modules.
   */
  readonly frameworks?: readonly FrameworkEntry[];
  /**
   * Editors' language ids (LSP `languageId`) of this language, each with the extension an
   * untitled document of it is linted as: `{ typescript: '.ts', javascript: '.js' }`.
   */
  readonly editorLanguages?: Readonly<Record<string, string>>;
}

/** A framework in its language frontend's `frameworks` list. */
export interface FrameworkEntry {
  /** Its module's `framework` id. */
  readonly framework: Framework;
  /** Its module's `name`. */
  readonly name: string;
  /** The packages (npm for TS/JS, PyPI for Python) that show a project uses it, e.g. `['knex']`; empty: none does. */
  readonly packages: readonly string[];
}

/**
 * What every framework module says about itself, whatever its language. The language
 * frontend extends it with what needs its syntax tree (detection, builders, raw-SQL
 * calls, transactions, session openings and fixes); see `FrameworkSupport` for TS/JS.
 */
export interface FrameworkModule {
  /** The id units carry in `MigrationUnit.framework`, e.g. `knex`, `alembic`; unique over all languages. */
  readonly framework: Framework;
  /** A name for messages, e.g. `TypeORM`; the id when absent. */
  readonly name?: string;
  /**
   * The connection/session kinds its code opens by hand, by `SessionFact.kind` id, each with
   * its label for messages (`{ 'knex-transaction': 'knex transaction' }`). Ids are unique over all modules.
   */
  readonly sessionKinds?: Readonly<Record<string, string>>;
  /** Its idioms that rules name in their help; the frontend copies them into `MigrationUnit.idioms`. */
  readonly idioms?: FrameworkIdioms;
}

/** The languages miglint reads: one line per language frontend. */
const BUILT_IN: readonly LanguageFrontend[] = [sqlFrontend, typescriptFrontend, pythonFrontend];

const registered: LanguageFrontend[] = [...BUILT_IN];

/** Every registered language frontend, built-in ones first, in registration order. */
export function languageFrontends(): readonly LanguageFrontend[] {
  return registered;
}

/**
 * Adds a language frontend (a plug-in, or a test's fake language) after the built-in ones.
 * @returns a function that removes it again.
 * @throws Error when its id, or one of its extensions, is already registered.
 */
export function registerFrontend(frontend: LanguageFrontend): () => void {
  if (registered.some((f) => f.id === frontend.id)) throw new Error(`registerFrontend: a frontend with id "${frontend.id}" is already registered`);
  for (const ext of frontend.extensions) {
    const owner = registered.find((f) => f.extensions.includes(ext.toLowerCase()));
    if (owner) throw new Error(`registerFrontend: ${ext} is already read by the ${owner.name} frontend`);
  }
  registered.push(frontend);
  return () => {
    const i = registered.indexOf(frontend);
    if (i >= 0) registered.splice(i, 1);
  };
}

/** The frontend that reads `file`, by its extension (compared lower-cased); null when none does. */
export function frontendFor(file: string): LanguageFrontend | null {
  const lower = file.toLowerCase();
  return registered.find((f) => f.extensions.some((e) => lower.endsWith(e))) ?? null;
}

/** The registered frontend with this id, or null. */
export function frontendById(id: LanguageId): LanguageFrontend | null {
  return registered.find((f) => f.id === id) ?? null;
}

/** The frameworks of every registered frontend (`LanguageFrontend.frameworks`), in registration order. */
export function frameworkEntries(): FrameworkEntry[] {
  return registered.flatMap((f) => f.frameworks ?? []);
}

/** Every extension some frontend reads, e.g. `['.sql', '.ts', ...]`, in registration order. */
export function supportedExtensions(): string[] {
  return registered.flatMap((f) => f.extensions);
}

/** Whether a rule whose `appliesTo` is `appliesTo` runs on files of `frontend`: it names the frontend's id or its kind. */
export function ruleAppliesTo(appliesTo: readonly string[], frontend: LanguageFrontend): boolean {
  return appliesTo.includes(frontend.id) || appliesTo.includes(frontend.kind);
}

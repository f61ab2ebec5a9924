/**
 * The fuzz generator's grammar pieces, as plain data drawn by fast-check
 * arbitraries (so fast-check can shrink them): statements, separators and
 * comments, string literals, and the bytes a file should never contain (NUL,
 * invalid UTF-8). Rendering them to text is `sql-render.ts` and `ts-render.ts`;
 * what each piece must produce in miglint is `model.ts`.
 */
import fc from 'fast-check';

/**
 * Words for comment and string bodies: non-ASCII text (Hebrew, emoji, a flag, a
 * ZWJ sequence), quotes, dollar signs, semicolons, backslashes, backticks, other
 * tools' placeholder syntax, and SQL that must stay inert because it is commented
 * out. None contains a newline, `*` next to `/`, `:` (psql variables) or a
 * directive word (`miglint`, `squawk`, `migrate:`), so a comment never becomes a
 * directive or ends early.
 */
export const WORDS: readonly string[] = [
  'שלום', 'בדיקה', 'עברית', '🎉', '👩‍💻', '🇮🇱', 'naïve', 'Ωmega', '中文', 'ok', 'x',
  "it's", '"quoted"', ';', '$$', '$q$', "''", '\\', '`', '${x}', '{{ y }}',
  'BEGIN;', 'COMMIT;', 'CREATE INDEX zz ON leads (a);', 'DROP INDEX zz;', '--', '*', '/',
];

/**
 * Bytes a file may contain that no text should: NUL, and invalid UTF-8 (a lone
 * continuation byte, 0xFF/0xFE, an overlong encoding, a UTF-16 surrogate, a code
 * point past U+10FFFF, a 5-byte form). None starts with a continuation byte
 * after a lead byte it could complete, so each decodes to U+FFFD characters on
 * its own, whatever is beside it.
 */
export const BYTES: readonly (readonly number[])[] = [
  [0x00], [0x80], [0xbf], [0xff], [0xfe], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** An index into WORDS, or, from WORDS.length on, into BYTES. */
export type Word = number;
/** The Word that is a NUL byte. */
export const NUL_WORD = WORDS.length;
/** Whether a Word is raw bytes (BYTES) rather than text. */
export const isBytes = (w: Word) => w >= WORDS.length;

export interface CommentSpec {
  block: boolean;
  /** Nested block comments inside it (SQL block comments nest; JS ones do not, so JS renders them flat). */
  nested: number;
  words: Word[];
}

/** What separates two tokens: whitespace, or a comment. */
export type SepSpec = { k: 'ws'; w: number } | { k: 'comment'; c: CommentSpec };

/** A SQL string literal: `'...'`, `E'...'` with backslash escapes, `$tag$...$tag$`, or `U&'...'`. */
export interface StrSpec {
  k: 'plain' | 'e' | 'dollar' | 'u';
  tag: number;
  words: Word[];
}

/**
 * Statement kinds. Safe: create-table, select, insert, alter-created, index-created,
 * and a concurrent index build or drop outside a transaction block. Hazards:
 * index-existing (plain CREATE INDEX on a table not created in the file),
 * index-other-table (a name that resolves to another schema's or case's table),
 * drop-index, alter-existing (a lock blocking reads and writes, needs the timeouts),
 * and the concurrent forms inside a transaction block. set-* change the timeouts in
 * force; broken is a statement PostgreSQL's grammar rejects.
 */
export const STMT_KINDS = [
  'create-table', 'select', 'insert', 'alter-created', 'alter-existing', 'index-existing', 'index-concurrently', 'index-created',
  'index-other-table', 'drop-index', 'drop-index-concurrently', 'set-lock-timeout', 'set-statement-timeout', 'broken',
] as const;
export type StmtKind = (typeof STMT_KINDS)[number];

export interface StmtSpec {
  kind: StmtKind;
  /** Picks the variant (table, optional clauses) of the kind. */
  v: number;
  seps: SepSpec[];
  str: StrSpec;
  /** Whether a `;` ends it (the last statement of a file may go without). */
  semi: boolean;
}

/** Items of a `.sql` file (and, `begin` and `bulk` aside, of the SQL inside one TS/JS query call). */
export type SqlItem =
  | { t: 'stmt'; s: StmtSpec }
  | { t: 'begin'; items: StmtSpec[]; end: number }
  | { t: 'do'; tag: number; items: StmtSpec[]; seps: SepSpec[] }
  | { t: 'comment'; c: CommentSpec }
  /** Bytes between statements (NUL, invalid UTF-8). */
  | { t: 'junk'; w: Word }
  /** Many small statements: a large file. */
  | { t: 'bulk'; n: number };

const word = fc.oneof({ weight: 12, arbitrary: fc.nat({ max: WORDS.length - 1 }) }, { weight: 1, arbitrary: fc.nat({ max: BYTES.length - 1 }).map((i) => WORDS.length + i) });
const words = fc.array(word, { maxLength: 6 });

/** A line or block comment of words (block comments sometimes nested). */
export const commentArb: fc.Arbitrary<CommentSpec> = fc.record({ block: fc.boolean(), nested: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }), words });

/** Mostly whitespace (space, newline, tab, blank lines), sometimes a comment. */
export const sepArb: fc.Arbitrary<SepSpec> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('ws' as const), w: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('comment' as const), c: commentArb }) },
);

/** A string literal of any kind. */
export const strArb: fc.Arbitrary<StrSpec> = fc.record({ k: fc.constantFrom('plain' as const, 'e' as const, 'dollar' as const, 'u' as const), tag: fc.nat({ max: 4 }), words });

const kindArb: fc.Arbitrary<StmtKind> = fc.oneof(
  ...STMT_KINDS.map((k) => ({ weight: k === 'broken' ? 1 : k === 'index-other-table' ? 1 : 3, arbitrary: fc.constant(k) })),
);

/** A statement of any kind; `kinds` restricts it (DO bodies take only some). */
export function stmtArb(kinds?: readonly StmtKind[]): fc.Arbitrary<StmtSpec> {
  return fc.record({
    kind: kinds ? fc.constantFrom(...kinds) : kindArb,
    v: fc.nat({ max: 63 }),
    seps: fc.array(sepArb, { maxLength: 4 }),
    str: strArb,
    semi: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });
}

/** Statements a PL/pgSQL `DO` body can run as they are (no SET: the model keeps timeouts out of DO bodies). */
export const DO_KINDS: readonly StmtKind[] = ['create-table', 'insert', 'alter-existing', 'index-existing', 'index-concurrently', 'index-created', 'drop-index', 'broken'];

/** A `DO` block of one to three statements, as a `.sql` item (TS/JS calls may send one too). */
export const doArb = fc.record({ t: fc.constant('do' as const), tag: fc.nat({ max: 3 }), items: fc.array(stmtArb(DO_KINDS), { minLength: 1, maxLength: 3 }), seps: fc.array(sepArb, { maxLength: 3 }) });

/** Items of a `.sql` file. */
export const sqlItemArb: fc.Arbitrary<SqlItem> = fc.oneof(
  { weight: 700, arbitrary: fc.record({ t: fc.constant('stmt' as const), s: stmtArb() }) },
  { weight: 100, arbitrary: fc.record({ t: fc.constant('begin' as const), items: fc.array(stmtArb(), { maxLength: 4 }), end: fc.nat({ max: 2 }) }) },
  { weight: 70, arbitrary: doArb },
  { weight: 100, arbitrary: fc.record({ t: fc.constant('comment' as const), c: commentArb }) },
  { weight: 30, arbitrary: fc.record({ t: fc.constant('junk' as const), w: fc.nat({ max: BYTES.length - 1 }).map((i) => WORDS.length + i) }) },
  // About one file in two hundred: a large file (tens to hundreds of kB).
  { weight: 1, arbitrary: fc.record({ t: fc.constant('bulk' as const), n: fc.integer({ min: 2000, max: 40000 }) }) },
);

/** A nesting depth: mostly a few levels, sometimes hundreds (stack depth limits). */
export const depthArb = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 50, max: 1200 }) });

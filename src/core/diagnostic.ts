/** Half-open range of UTF-16 code unit offsets into a file's text: `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** One text replacement against the original file: replace `[start, end)` with `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * How far a fix can be trusted.
 * - `safe`: keeps the migration's meaning; applied by `--fix`.
 * - `unsafe`: changes locking, transaction or runtime behaviour beyond the rule's
 *   intent, or control flow; applied only with `--unsafe-fixes`.
 * - `display-only`: shown to the user, never applied (e.g. a split into two files).
 */
export type Applicability = 'safe' | 'unsafe' | 'display-only';

export interface Fix {
  title: string;
  applicability: Applicability;
  edits: Edit[];
}

export type Severity = 'error' | 'warning';

/** A finding before configuration gives it a severity. */
export interface Diagnostic {
  ruleId: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** Why it matters: the lock it takes and what that blocks, in PostgreSQL's terms. */
  note?: string;
  /** What to do instead. */
  help?: string;
  span: Span;
  fix?: Fix;
  /** Other places that are part of the finding (where a session was acquired, where the migration ends with it open). */
  related?: { span: Span; message: string }[];
  /**
   * The table-level lock the finding is about, from the statement facts (src/sql/facts.ts `claim`):
   * test/rule-locks.test.ts checks it against pg_locks on real servers. Not shown by reporters.
   */
  lock?: { relation: string; mode: string; rewrites?: boolean | 'maybe'; reach?: { via: 'referencing' | 'referenced' | 'partition-parent' | 'partitions' | 'domain'; of: string; recursive?: boolean } };
}

/** A diagnostic placed in a file, with its configured severity and 1-based positions. */
export interface Finding extends Diagnostic {
  file: string;
  severity: Severity;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

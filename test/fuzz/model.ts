/**
 * What each generated statement must produce, worked out as the generator
 * renders it: the PostgreSQL facts the rules are about (which tables the
 * migration created, which transaction block a statement runs in, which
 * timeouts are in force) kept per migration direction, as PostgreSQL and the
 * catalogue define them (CATALOGUE.md; explicit-locking.html for the lock modes;
 * sql-set.html for SET LOCAL; protocol-flow.html for one query string being one
 * implicit transaction).
 */
/** A piece of a file: text, raw bytes, or a `${}` hole a TS/JS template may fill. Owned by the statement it belongs to, if any. */
export interface Seg {
  text?: string;
  bytes?: readonly number[];
  hole?: Hole;
  owner?: number;
}

/** A place in a statement a TS/JS template may leave to a value the analyser cannot know. */
export interface Hole {
  role: 'table' | 'kw' | 'value';
  /** The text it stands for when written out (or held in a same-file const). */
  text: string;
  /** Whether an unknown value there changes what the statement does (`CREATE INDEX ${c} ...`, c = 'CONCURRENTLY'). */
  semantic: boolean;
  /** How a TS/JS literal writes it (set by the TS renderer): its text, a same-file const, or a value the analyser cannot know. */
  mode?: 'inline' | 'const' | 'unknown';
}

/** What a statement is, as rendered. */
export interface Sem {
  /** A grammar StmtKind, or `begin`, `commit`, `do` for the frame statements. */
  kind: string;
  /** A name only this statement contains, to find it among the unit's statements; null for SET, BEGIN, COMMIT, DO. */
  marker: string | null;
  /** The table it creates, schema-qualified and case-correct (`public.tb3`, `public.Tb3`). */
  creates: string | null;
  index: 'plain' | 'concurrent' | null;
  drop: 'plain' | 'concurrent' | null;
  /** It takes a lock that blocks reads or writes of a table (or index) the migration did not create. */
  blocking: boolean;
  setting: { name: 'lock_timeout' | 'statement_timeout'; on: boolean; local: boolean } | null;
  tx: 'begin' | 'commit' | null;
  broken: boolean;
}

/** One generated statement and what miglint must say about it. */
export interface Expected {
  id: number;
  marker: string | null;
  kind: string;
  /** Rule ids that must each have a finding at the statement (unless it is reported as not analysed). */
  expect: string[];
  /** No finding at all at it (other than the not-analysed ones). */
  safe: boolean;
  /** The generator made it invalid on purpose: it must be reported as not analysed. */
  broken: boolean;
  /** Where it is in the decoded file text, UTF-16 offsets [start, end); filled in by `decode`. */
  start: number;
  end: number;
  /** What is special about it or its file (for grouping failures): `in-do`, `unknown-hole`, `after-nul`, ... */
  features: string[];
  /**
   * For SQL held in a const: the segment owner of the call that runs it, and (filled in by `decode`)
   * where that call ends: a report before the call covers the statement too.
   */
  anchor?: number;
  anchorEnd?: number;
}

export const RULE = {
  index: 'require-concurrent-index-creation',
  drop: 'require-concurrent-index-deletion',
  inTx: 'ban-concurrent-index-creation-in-transaction',
  lock: 'require-lock-timeout',
  stmt: 'require-statement-timeout',
} as const;

type Timeout = 'set' | 'unset' | 'unknown';

/**
 * The state of one migration direction as its statements run, and the
 * expectation of each statement from it. `require-lock-timeout` and
 * `require-statement-timeout` report the first statement of a direction that
 * takes a blocking lock with the timeout not set; later ones are not claimed.
 */
export class PhaseModel {
  readonly created = new Set<string>();
  private lockSession: Timeout = 'unset';
  private stmtSession: Timeout = 'unset';
  private lockLocal = false;
  private stmtLocal = false;
  private lockReported = false;
  private stmtReported = false;
  /** A BEGIN of the file is open. */
  explicit = false;
  /** The framework's (or runner's) wrapping transaction is open. */
  framework: boolean;

  constructor(wrapped: boolean) {
    this.framework = wrapped;
  }

  /** The timeouts can no longer be known (a SET through a connection the model does not follow). */
  timeoutsUnknown(): void {
    this.lockSession = 'unknown';
    this.stmtSession = 'unknown';
  }

  private timeout(name: 'lock' | 'stmt', inTx: boolean | null): Timeout {
    const session = name === 'lock' ? this.lockSession : this.stmtSession;
    if (session === 'unknown') return 'unknown';
    if (session === 'set') return 'set';
    const local = name === 'lock' ? this.lockLocal : this.stmtLocal;
    if (local && inTx === null) return 'unknown';
    return local && inTx ? 'set' : 'unset';
  }

  /**
   * The expectation of `sem` run with (inTx true) or without a transaction block open,
   * or where that is not known (null: claims that depend on it are not made), then its
   * effect on the state.
   */
  run(sem: Sem, inTx: boolean | null, id: number, features: string[]): Expected {
    const e: Expected = { id, marker: sem.marker, kind: sem.kind, expect: [], safe: false, broken: sem.broken, start: 0, end: 0, features };
    if (sem.broken) return e;
    if (sem.index === 'plain') e.expect.push(RULE.index);
    if (sem.drop === 'plain') e.expect.push(RULE.drop);
    const concurrent = sem.index === 'concurrent' || sem.drop === 'concurrent';
    if (concurrent && inTx) e.expect.push(RULE.inTx);
    let timeoutsKnownSet = true;
    if (sem.blocking) {
      for (const name of ['lock', 'stmt'] as const) {
        const t = this.timeout(name, inTx);
        if (t !== 'set') timeoutsKnownSet = false;
        const reported = name === 'lock' ? this.lockReported : this.stmtReported;
        if (t === 'unset' && !reported) e.expect.push(name === 'lock' ? RULE.lock : RULE.stmt);
        if (t === 'unset') {
          if (name === 'lock') this.lockReported = true;
          else this.stmtReported = true;
        }
        // Once unknown, whether the rule has reported its one statement is unknown too.
        if (t === 'unknown') {
          if (name === 'lock') this.lockReported = true;
          else this.stmtReported = true;
        }
      }
    }
    e.safe = sem.marker !== null && e.expect.length === 0 && timeoutsKnownSet && !(concurrent && inTx === null);
    this.apply(sem, inTx);
    return e;
  }

  /** The expectation of a statement that cannot run because what holds it does not parse: it must be reported; no effect. */
  runBroken(sem: Sem, id: number): Expected {
    return { id, marker: sem.marker, kind: sem.kind, expect: [], safe: false, broken: true, start: 0, end: 0, features: [] };
  }

  private apply(sem: Sem, inTx: boolean | null): void {
    if (sem.creates) this.created.add(sem.creates);
    if (sem.tx === 'begin') this.explicit = true;
    if (sem.tx === 'commit') {
      this.explicit = false;
      this.framework = false;
      this.lockLocal = false;
      this.stmtLocal = false;
    }
    const s = sem.setting;
    if (s) {
      const lock = s.name === 'lock_timeout';
      if (s.local && inTx === null) {
        if (lock) this.lockSession = 'unknown';
        else this.stmtSession = 'unknown';
      } else if (s.local) {
        // SET LOCAL outside a transaction block has no effect (sql-set.html).
        if (lock) this.lockLocal = inTx === true && s.on;
        else this.stmtLocal = inTx === true && s.on;
      } else if (lock) {
        if (this.lockSession !== 'unknown') this.lockSession = s.on ? 'set' : 'unset';
      } else if (this.stmtSession !== 'unknown') this.stmtSession = s.on ? 'set' : 'unset';
    }
  }
}

/**
 * Reading literal values out of Python call arguments for builder translations
 * (Alembic's `op.*`, Django's operations): names, lists of names, booleans, column
 * types and server defaults. A value that is not a literal is the unit's placeholder
 * for the expression and marks the translation interpolated.
 */
import type { BuiltSql } from '../typescript/types.js';
import type { Placeholders } from '../typescript/placeholders.js';
import { literal } from '../../sql/write.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, sqlSourceOf, textCallArg, unparen, type Bindings } from './strings.js';
import { FileMemo } from '../../core/file-memo.js';

/**
 * `PyValues.str` by bindings (one file's tree) and node id: the same literal is read by several
 * analyses of an operation (its table name by each rule-facing translation), and reading one walks
 * its string's children across the WebAssembly boundary.
 */
const STRINGS = new FileMemo<Bindings, Map<number, string | null>>();

export class PyValues {
  interpolated = false;
  constructor(
    private readonly bindings: Bindings,
    private readonly placeholders: Placeholders,
  ) {}

  /** A string literal's value (also through a name bound once), or null. Read once per node and bindings. */
  str(n: PyNode | null | undefined): string | null {
    if (!n) return null;
    let memo = STRINGS.get(this.bindings);
    if (!memo) STRINGS.set(this.bindings, (memo = new Map()));
    const hit = memo.get(n.id);
    if (hit !== undefined) return hit;
    const v = this.strUncached(n);
    memo.set(n.id, v);
    return v;
  }

  private strUncached(n: PyNode): string | null {
    // Alembic's `op.f("ix_name")` marks a name as final (no naming convention applied): the name itself.
    const u = unparen(n);
    if (u.type === 'call' && /^op\.f$/.test(u.childForFieldName('function')?.text ?? '') && positional(u).length === 1) return this.str(positional(u)[0]);
    const src = sqlSourceOf(n, this.bindings);
    if (!src || src.interpolated) return null;
    return src.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
  }

  /** A name: the string, or the placeholder `${expr}` for what the code computes. */
  name(n: PyNode | null | undefined, fallback = 'unknown'): string {
    const s = this.str(n);
    if (s !== null) return s;
    this.interpolated = true;
    return n ? this.placeholders.name(n.text) : fallback;
  }

  /** A list or tuple of names (or one name). */
  names(n: PyNode | null | undefined): string[] {
    if (!n) return [];
    const u = this.resolve(n);
    if (u.type === 'list' || u.type === 'tuple') return named(u).map((e) => this.indexElement(e));
    return [this.indexElement(u)];
  }

  /** An index element: a column name, or `sa.text("lower(email)")` as its SQL. */
  private indexElement(e: PyNode): string {
    const u = unparen(e);
    // `sa.literal_column("lower(email)")` is SQL text too.
    const lit = u.type === 'call' && /(^|\.)literal_column$/.test(u.childForFieldName('function')?.text ?? '') ? (positional(u)[0] ?? null) : null;
    const t = textCallArg(u) ?? lit;
    if (t) {
      // An element with its ordering (`ingested_at DESC`) is written bare, an expression in parentheses.
      const sql = this.name(t);
      return /\s(ASC|DESC|NULLS\s+(FIRST|LAST))\s*$/i.test(sql) ? sql : `(${sql})`;
    }
    return this.name(e);
  }

  /** `True` / `False`, or null for anything else. */
  bool(n: PyNode | null | undefined): boolean | null {
    if (!n) return null;
    const u = this.resolve(n);
    return u.type === 'true' ? true : u.type === 'false' ? false : null;
  }

  /** Whether the argument is Python's `None`. */
  isNone(n: PyNode | null | undefined): boolean {
    return !!n && unparen(n).type === 'none';
  }

  /** SQL text given as a string or `sa.text(...)` (a WHERE clause, a CHECK condition). */
  sqlText(n: PyNode | null | undefined): string {
    const u = n ? unparen(n) : null;
    const s = this.str(u ? (textCallArg(u) ?? u) : null);
    if (s !== null) return s;
    this.interpolated = true;
    return 'true';
  }

  /** A `server_default`: a string is a literal, `sa.text(...)` SQL, `sa.func.now()` now(); else a parameter. */
  serverDefault(n: PyNode): string {
    const u = unparen(n);
    const t = textCallArg(u);
    if (t) return this.sqlText(u);
    const s = this.str(u);
    if (s !== null) return literal(s);
    if (u.type === 'integer' || u.type === 'float') return u.text;
    if (u.type === 'true' || u.type === 'false') return u.text.toLowerCase();
    const fn = /^(?:sa\.|sqlalchemy\.)?func\.(\w+)$/.exec(u.type === 'call' ? (u.childForFieldName('function')?.text ?? '') : '');
    if (fn) return `${fn[1]}()`;
    this.interpolated = true;
    return '$1';
  }

  /** A SQLAlchemy column type (`sa.String(255)`, `postgresql.JSONB()`) as PostgreSQL's type; one miglint does not know is a placeholder (interpolated). */
  type(n: PyNode | null | undefined): string {
    if (!n) return 'text';
    const t = this.knownType(n);
    if (t !== null) return t;
    this.interpolated = true;
    return `"${this.placeholders.name(unparen(n).text)}"`;
  }

  /**
   * A SQLAlchemy column type as PostgreSQL's type, or null for one miglint does not know (an
   * array of one too). Marks nothing interpolated and names no placeholder: for a type that is
   * only stated (Alembic's `existing_type`), which sends nothing.
   */
  knownType(n: PyNode): string | null {
    const u = unparen(n);
    const call = u.type === 'call' ? u : null;
    const callee = (call ? call.childForFieldName('function') : u)?.text ?? '';
    const base = callee.split('.').pop() ?? '';
    const args = call ? positional(call) : [];
    const arg = (i: number) => (args[i] && /^\d+$/.test(args[i].text) ? args[i].text : null);
    // `sa.String(255)` or `sa.CHAR(length=64)`.
    const lengthKw = call ? keywords(call).get('length')?.text : undefined;
    const length = arg(0) ?? (lengthKw && /^\d+$/.test(lengthKw) ? lengthKw : null);
    const withLength = (t: string) => (length ? `${t}(${length})` : t);
    switch (base) {
      case 'Integer':
      case 'INTEGER':
        return 'integer';
      case 'BigInteger':
      case 'BIGINT':
        return 'bigint';
      case 'SmallInteger':
      case 'SMALLINT':
        return 'smallint';
      case 'String':
      case 'VARCHAR':
      case 'Unicode':
        return withLength('varchar');
      case 'CHAR':
        return withLength('char');
      case 'Text':
      case 'TEXT':
      case 'UnicodeText':
        return 'text';
      case 'Boolean':
      case 'BOOLEAN':
        return 'boolean';
      case 'DateTime':
      case 'TIMESTAMP': {
        // DateTime(timezone=False): the first positional argument is `timezone` (`sa.DateTime(True)`).
        const first = call ? positional(call)[0] : undefined;
        const tz = call ? /timezone\s*=\s*True/.test(call.text) || first?.type === 'true' : false;
        return tz ? 'timestamptz' : 'timestamp';
      }
      case 'Date':
        return 'date';
      case 'Time':
        return 'time';
      case 'Interval':
        return 'interval';
      case 'Numeric':
      case 'NUMERIC':
      case 'DECIMAL':
        return arg(0) ? `numeric(${arg(0)}${arg(1) ? `, ${arg(1)}` : ''})` : 'numeric';
      case 'Float':
      case 'FLOAT':
        return 'double precision';
      case 'JSON':
        return 'json';
      case 'JSONB':
        return 'jsonb';
      case 'UUID':
      case 'Uuid':
        return 'uuid';
      case 'LargeBinary':
      case 'BYTEA':
        return 'bytea';
      case 'INET':
        return 'inet';
      case 'TSTZRANGE':
      case 'TSRANGE':
      case 'DATERANGE':
      case 'INT4RANGE':
      case 'INT8RANGE':
      case 'NUMRANGE':
        return base.toLowerCase();
      case 'ARRAY': {
        const base = args[0] ? this.knownType(args[0]) : 'text';
        return base === null ? null : `${base}[]`;
      }
      default:
        return null;
    }
  }

  /** Follows names bound once to their expression. */
  resolve(n: PyNode): PyNode {
    let u = unparen(n);
    for (let i = 0; i < 4 && u.type === 'identifier'; i++) {
      const b = this.bindings.resolve(u);
      if (!b) break;
      u = unparen(b);
    }
    return u;
  }

  built(sql: string, call: PyNode): BuiltSql {
    return { sql, span: { start: call.startIndex, end: call.endIndex }, interpolated: this.interpolated };
  }
}

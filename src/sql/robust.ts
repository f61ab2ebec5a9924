/**
 * Whether a CREATE / DROP (or an ALTER TABLE ... ADD COLUMN / DROP COLUMN / DROP
 * CONSTRAINT) is written to be rerun: with `IF NOT EXISTS` / `IF EXISTS` where
 * PostgreSQL has that form, and where in the statement's text it would go.
 *
 * PostgreSQL behaviour relied on: `IF NOT EXISTS` exists for CREATE TABLE, CREATE
 * TABLE AS, CREATE MATERIALIZED VIEW, CREATE INDEX (named), CREATE SCHEMA, CREATE
 * SEQUENCE, CREATE EXTENSION and ALTER TABLE ... ADD COLUMN; `IF EXISTS` for every
 * DROP and for ALTER TABLE ... DROP COLUMN / DROP CONSTRAINT (each command's
 * reference page). CREATE TYPE, CREATE DOMAIN, CREATE FUNCTION (without OR REPLACE)
 * and ADD CONSTRAINT have no such form and are not listed here.
 */
import type { Node } from 'libpg-query';
import { alterSubcommands } from './alter.js';
import { dropObjectRelations } from './locks.js';
import { fromRangeVar, relationKey, resolvedKey, splitKey, type NameContext, type RelationKey } from './names.js';

export interface RobustnessGap {
  /** The statement or subcommand, for messages: `CREATE TABLE`, `DROP INDEX`, `ADD COLUMN`. */
  form: string;
  /** What it lacks: `IF NOT EXISTS` or `IF EXISTS`. */
  missing: 'IF NOT EXISTS' | 'IF EXISTS';
  /** Where in the statement's SQL text to insert ` IF [NOT] EXISTS`; null when it cannot be placed by the text alone. */
  at: number | null;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[\p{L}_][\p{L}\p{N}_$]*)`;
const NAME = String.raw`${IDENT}(?:\s*\.\s*${IDENT}){0,2}`;

/**
 * The pattern `source` with `flags`, compiled once per process: the DROP patterns are built from
 * words per statement, and compiling a pattern costs more than matching it.
 * The patterns are not global (`g`), so sharing one keeps no state between matches.
 */
function compiled(source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let re = PATTERNS.get(key);
  if (!re) PATTERNS.set(key, (re = new RegExp(source, flags)));
  return re;
}
const PATTERNS = new Map<string, RegExp>();

/**
 * `ALTER TABLE [IF EXISTS] [ONLY] name [*]`, then a subcommand's first words: for any text (Unicode
 * letters and digits in names), and for ASCII text, where `\p{L}` and `\p{N}` are `[A-Za-z]` and `[0-9]`
 * and the pattern needs no Unicode mode (whose case-insensitive letter classes are slow to match).
 */
function alterPatterns(name: string, flags: string): { addColumn: RegExp; dropColumn: RegExp; dropConstraint: RegExp } {
  const head = String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?${name}\s*\*?\s+`;
  return {
    addColumn: new RegExp(String.raw`${head}ADD(?:\s+COLUMN)?\b`, flags),
    dropColumn: new RegExp(String.raw`${head}DROP(?:\s+COLUMN)?\b`, flags),
    dropConstraint: new RegExp(String.raw`${head}DROP\s+CONSTRAINT\b`, flags),
  };
}
const ASCII_IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const ALTER = alterPatterns(NAME, 'iu');
const ALTER_ASCII = alterPatterns(String.raw`${ASCII_IDENT}(?:\s*\.\s*${ASCII_IDENT}){0,2}`, 'i');
const NON_ASCII = /[^\0-\x7f]/;

function after(re: RegExp, sql: string): number | null {
  const m = re.exec(sql);
  return m ? m[0].length : null;
}

/** The words of a DROP statement's object type (`OBJECT_MATVIEW` → `MATERIALIZED\s+VIEW`). */
function dropWords(removeType: string): string {
  const words: Record<string, string> = { OBJECT_MATVIEW: 'MATERIALIZED VIEW', OBJECT_FOREIGN_TABLE: 'FOREIGN TABLE', OBJECT_FDW: 'FOREIGN DATA WRAPPER', OBJECT_FOREIGN_SERVER: 'SERVER', OBJECT_TSCONFIGURATION: 'TEXT SEARCH CONFIGURATION', OBJECT_TSDICTIONARY: 'TEXT SEARCH DICTIONARY', OBJECT_TSPARSER: 'TEXT SEARCH PARSER', OBJECT_TSTEMPLATE: 'TEXT SEARCH TEMPLATE', OBJECT_EVENT_TRIGGER: 'EVENT TRIGGER', OBJECT_ACCESS_METHOD: 'ACCESS METHOD' };
  return (words[removeType] ?? removeType.replace(/^OBJECT_/, '').replace(/_/g, ' ')).replace(/ /g, String.raw`\s+`);
}

/**
 * What a statement lacks to be rerun safely; `[]` when nothing (or when PostgreSQL has no IF [NOT] EXISTS form for it).
 * @param pgVersion the version its facts are for (`StatementFacts.pgVersion`), so its ALTER TABLE subcommands
 * are the ones already read (the gaps are the same on every version).
 */
export function robustnessGaps(node: Node, sql: string, pgVersion = 0): RobustnessGap[] {
  const create = (form: string, re: RegExp): RobustnessGap[] => [{ form, missing: 'IF NOT EXISTS', at: after(re, sql) }];
  if ('CreateStmt' in node) {
    const s = node.CreateStmt;
    if (s.if_not_exists || s.relation?.relpersistence === 't') return [];
    return create('CREATE TABLE', /^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+)?TABLE\b/i);
  }
  if ('CreateTableAsStmt' in node) {
    const s = node.CreateTableAsStmt;
    if (s.if_not_exists || s.into?.rel?.relpersistence === 't') return [];
    if (s.objtype === 'OBJECT_MATVIEW') return create('CREATE MATERIALIZED VIEW', /^CREATE\s+MATERIALIZED\s+VIEW\b/i);
    return create('CREATE TABLE AS', /^CREATE\s+(?:(?:GLOBAL|LOCAL)\s+)?(?:UNLOGGED\s+)?TABLE\b/i);
  }
  if ('IndexStmt' in node) {
    const s = node.IndexStmt;
    // An unnamed index cannot take IF NOT EXISTS (and a rerun builds a second one rather than failing).
    if (s.if_not_exists || !s.idxname) return [];
    return create(s.concurrent ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX', /^CREATE\s+(?:UNIQUE\s+)?INDEX(?:\s+CONCURRENTLY)?\b/i);
  }
  if ('CreateSchemaStmt' in node) return node.CreateSchemaStmt.if_not_exists ? [] : create('CREATE SCHEMA', /^CREATE\s+SCHEMA\b/i);
  if ('CreateSeqStmt' in node) {
    const s = node.CreateSeqStmt;
    if (s.if_not_exists || s.sequence?.relpersistence === 't') return [];
    return create('CREATE SEQUENCE', /^CREATE\s+(?:UNLOGGED\s+)?SEQUENCE\b/i);
  }
  if ('CreateExtensionStmt' in node) return node.CreateExtensionStmt.if_not_exists ? [] : create('CREATE EXTENSION', /^CREATE\s+EXTENSION\b/i);
  if ('DropStmt' in node) {
    const s = node.DropStmt;
    if (s.missing_ok) return [];
    const words = dropWords(s.removeType ?? 'OBJECT_TABLE');
    const form = `DROP ${words.replace(/\\s\+/g, ' ')}${s.concurrent ? ' CONCURRENTLY' : ''}`;
    return [{ form, missing: 'IF EXISTS', at: after(compiled(`^DROP\\s+${words}(?:\\s+CONCURRENTLY)?\\b`, 'i'), sql) }];
  }
  if ('AlterTableStmt' in node && node.AlterTableStmt.objtype === 'OBJECT_TABLE') {
    const subs = alterSubcommands(node, pgVersion);
    // The text position is found only for a one-subcommand statement: ALTER TABLE [IF EXISTS] [ONLY] name ADD|DROP ...
    const one = subs.length === 1;
    const re = one && !NON_ASCII.test(sql) ? ALTER_ASCII : ALTER;
    return subs.flatMap((sub): RobustnessGap[] => {
      if (sub.kind === 'add-column' && !sub.ifNotExists) return [{ form: 'ADD COLUMN', missing: 'IF NOT EXISTS', at: one ? after(re.addColumn, sql) : null }];
      if (sub.kind === 'drop-column' && !sub.ifExists) return [{ form: 'DROP COLUMN', missing: 'IF EXISTS', at: one ? after(re.dropColumn, sql) : null }];
      if (sub.kind === 'drop-constraint' && !sub.ifExists) return [{ form: 'DROP CONSTRAINT', missing: 'IF EXISTS', at: one ? after(re.dropConstraint, sql) : null }];
      return [];
    });
  }
  return [];
}

/**
 * The key of the index a named CREATE INDEX builds: its name in its table's schema (an index
 * always lives in its table's schema, sql-createindex.html), the table resolved through the
 * statement's search_path; null for an unnamed index or another statement.
 */
export function createdIndexKey(node: Node, context: NameContext): RelationKey | null {
  if (!('IndexStmt' in node)) return null;
  const s = node.IndexStmt;
  const table = fromRangeVar(s.relation);
  if (!table || !s.idxname) return null;
  return relationKey(splitKey(resolvedKey(table, context)).schema, s.idxname);
}

/**
 * The key of the one index a `DROP INDEX CONCURRENTLY IF EXISTS` drops (resolved through the
 * statement's search_path, as PostgreSQL finds it); null for any other statement (without
 * CONCURRENTLY or IF EXISTS, or naming several indexes, which CONCURRENTLY does not allow).
 */
export function concurrentDropIfExistsKey(node: Node, context: NameContext): RelationKey | null {
  if (!('DropStmt' in node)) return null;
  const d = node.DropStmt;
  if (d.removeType !== 'OBJECT_INDEX' || !d.concurrent || !d.missing_ok) return null;
  const names = dropObjectRelations(d.objects);
  return names.length === 1 ? resolvedKey(names[0]!, context) : null;
}

/**
 * Writing SQL statements from builder calls' parts (names, columns, options): the
 * text a framework's builder would send, quoted the way PostgreSQL reads it
 * (sql-syntax-lexical.html, "Identifiers and Key Words"). Language-neutral: the
 * TypeScript and Python frontends' builder translations both write through these.
 */

/** `"name"`, or `"schema"."name"` for a dotted name. */
export function qname(name: string): string {
  return name
    .split('.')
    .map((p) => `"${p.replace(/^"|"$/g, '').replace(/"/g, '""')}"`)
    .join('.');
}

/** A column for an index or key: quoted when it is a plain name, as written when it is an expression. */
export function column(name: string): string {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_$]*)\s*(\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?)?\s*$/i.exec(name);
  if (m) return `"${m[1]}"${m[2] ? m[2].toUpperCase().replace(/\s+/g, ' ') : ''}`;
  return name;
}

export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Turns a name into the `[a-z0-9_]` form frameworks use when they derive index names. */
export function nameFrom(...parts: string[]): string {
  return parts
    .join('_')
    .replace(/[^A-Za-z0-9_]+/g, '_')
    .toLowerCase();
}

export interface IndexSpec {
  name: string;
  table: string;
  columns: string[];
  unique?: boolean;
  concurrently?: boolean;
  ifNotExists?: boolean;
  method?: string | null;
  where?: string | null;
  include?: string[];
}

export function createIndexSql(s: IndexSpec): string {
  const parts = ['CREATE'];
  if (s.unique) parts.push('UNIQUE');
  parts.push('INDEX');
  if (s.concurrently) parts.push('CONCURRENTLY');
  if (s.ifNotExists) parts.push('IF NOT EXISTS');
  parts.push(qname(s.name), 'ON', qname(s.table));
  if (s.method) parts.push('USING', s.method);
  parts.push(`(${s.columns.map(column).join(', ')})`);
  if (s.include?.length) parts.push(`INCLUDE (${s.include.map(column).join(', ')})`);
  if (s.where) parts.push('WHERE', s.where);
  return parts.join(' ');
}

export function dropIndexSql(name: string, o: { concurrently?: boolean; ifExists?: boolean; cascade?: boolean } = {}): string {
  return `DROP INDEX${o.concurrently ? ' CONCURRENTLY' : ''}${o.ifExists ? ' IF EXISTS' : ''} ${qname(name)}${o.cascade ? ' CASCADE' : ''}`;
}

export interface ColumnSpec {
  name: string;
  type: string;
  notNull?: boolean;
  primaryKey?: boolean;
  unique?: boolean;
  default?: string | null;
  references?: string | null;
  check?: string | null;
}

export function columnDef(c: ColumnSpec): string {
  let s = `${qname(c.name)} ${c.type}`;
  if (c.primaryKey) s += ' PRIMARY KEY';
  if (c.notNull && !c.primaryKey) s += ' NOT NULL';
  if (c.unique) s += ' UNIQUE';
  if (c.default !== undefined && c.default !== null) s += ` DEFAULT ${c.default}`;
  if (c.references) s += ` REFERENCES ${c.references}`;
  if (c.check) s += ` CHECK (${c.check})`;
  return s;
}

export function createTableSql(table: string, defs: string[], ifNotExists = false): string {
  return `CREATE TABLE${ifNotExists ? ' IF NOT EXISTS' : ''} ${qname(table)} (${defs.join(', ')})`;
}

export function alterTableSql(table: string, commands: string[]): string {
  return `ALTER TABLE ${qname(table)} ${commands.join(', ')}`;
}

export function dropTableSql(table: string, o: { ifExists?: boolean; cascade?: boolean } = {}): string {
  return `DROP TABLE${o.ifExists ? ' IF EXISTS' : ''} ${qname(table)}${o.cascade ? ' CASCADE' : ''}`;
}

/** `"table" ("a", "b")` for a REFERENCES clause. */
export function referencesSql(table: string, columns: string[]): string {
  return `${qname(table)}${columns.length ? ` (${columns.map(column).join(', ')})` : ''}`;
}

/**
 * Which table an index belongs to, as far as the migration itself tells, and
 * which statements drop a table. Names are compared by schema-qualified key
 * (src/sql/names.ts), each resolved with the search_path of its own statement.
 *
 * PostgreSQL behaviour relied on: an index always lives in its table's schema
 * (sql-createindex.html: "the index is always created in the same schema as its
 * parent table"), and dropping a table drops its indexes (sql-droptable.html:
 * "DROP TABLE always removes any indexes ... that exist for the target table");
 * `DROP SCHEMA ... CASCADE` drops the tables in it (sql-dropschema.html).
 */
import type { MigrationUnit, Phase, Statement } from '../core/unit.js';
import { dropObjectRelations } from './locks.js';
import { DEFAULT_SEARCH_PATH, fromRangeVar, lookupKey, lookupSchema, relationKey, resolvedKey, splitKey, type RelationKey, type RelationName } from './names.js';
import { FileMemo } from '../core/file-memo.js';

/** A named `CREATE INDEX` of the unit. */
export interface IndexCreation {
  statement: Statement;
  phase: Phase;
  /** The index's key: its table's schema, its own name. */
  index: RelationKey;
  table: RelationKey;
}

/** Every named CREATE INDEX in the unit (any direction), in statement order. An unnamed one gets a name only the server knows. */
export function indexCreations(unit: MigrationUnit): IndexCreation[] {
  const out: IndexCreation[] = [];
  for (const s of unit.statements) {
    if (!('IndexStmt' in s.node) || !s.node.IndexStmt.idxname) continue;
    const table = fromRangeVar(s.node.IndexStmt.relation);
    if (!table) continue;
    const path = s.context.searchPath ?? DEFAULT_SEARCH_PATH;
    const isTemp = (name: string) => s.context.createdTables.has(relationKey('pg_temp', name));
    const schema = lookupSchema(table, path, isTemp);
    out.push({ statement: s, phase: s.phase, index: relationKey(schema, s.node.IndexStmt.idxname), table: relationKey(schema, table.name) });
  }
  return out;
}

/** The key of the index `n` that `drop` names, resolved where it runs (an index on a temporary table is found in pg_temp first). */
export function droppedIndexKey(n: RelationName, drop: Statement, creations: readonly IndexCreation[]): RelationKey {
  let temp = CREATED.get(creations);
  if (!temp) CREATED.set(creations, (temp = new Set(creations.map((c) => c.index))));
  return lookupKey(n, drop.context.searchPath ?? DEFAULT_SEARCH_PATH, (name) => temp.has(relationKey('pg_temp', name)));
}

/** The index keys of an `indexCreations` list, made once per list (a rule asks for each index a unit drops). */
const CREATED = new FileMemo<readonly IndexCreation[], Set<RelationKey>>();

/**
 * The table of the index `index` that `drop` drops, when the unit says which:
 * the latest CREATE INDEX of that name before it in the same direction, else the
 * one table every CREATE INDEX of that name in the unit is on (e.g. the `up` that
 * the `down` undoes). Null when the unit never creates the index by name, or
 * creates it on different tables.
 */
export function tableOfIndex(index: RelationKey, drop: Statement, creations: readonly IndexCreation[]): RelationKey | null {
  const same = creations.filter((c) => c.index === index);
  const before = same.filter((c) => c.phase === drop.phase && c.statement.span.start < drop.span.start);
  if (before.length) return before[before.length - 1]!.table;
  const tables = new Set(same.map((c) => c.table));
  return tables.size === 1 ? [...tables][0]! : null;
}

/** The tables each direction drops (`DROP TABLE`, keyed as in names.ts) and the schemas it drops with `DROP SCHEMA ... CASCADE`. */
export interface TableDrops {
  tables: Set<RelationKey>;
  schemas: Set<string>;
}

/**
 * The tables and CASCADE schemas a unit drops, collected once per unit by direction: a rule that asks
 * about many indexes then reads two sets instead of resolving every DROP statement's names again per index.
 */
export function tableDrops(unit: MigrationUnit): Map<Phase, TableDrops> {
  const out = new Map<Phase, TableDrops>();
  for (const s of unit.statements) {
    if (!('DropStmt' in s.node)) continue;
    const d = s.node.DropStmt;
    const table = d.removeType === 'OBJECT_TABLE';
    const schema = d.removeType === 'OBJECT_SCHEMA' && d.behavior === 'DROP_CASCADE';
    if (!table && !schema) continue;
    let at = out.get(s.phase);
    if (!at) out.set(s.phase, (at = { tables: new Set(), schemas: new Set() }));
    if (table) for (const n of dropObjectRelations(d.objects)) at.tables.add(resolvedKey(n, s.context));
    else for (const o of d.objects ?? []) if ('String' in o && o.String.sval !== undefined) at.schemas.add(o.String.sval);
  }
  return out;
}

/** Whether `drops` (one direction's `tableDrops`) drop the table `table`: by `DROP TABLE`, or `DROP SCHEMA ... CASCADE` of its schema. */
export function dropsTableIn(drops: TableDrops | undefined, table: RelationKey): boolean {
  return !!drops && (drops.tables.has(table) || drops.schemas.has(splitKey(table).schema));
}

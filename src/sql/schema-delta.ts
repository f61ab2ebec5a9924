/**
 * The unit's running schema delta: what the migration itself created or changed
 * before a statement (tables, their columns with types and nullability,
 * constraints with their validity, indexes, enum values), by schema-qualified,
 * case-correct key (src/sql/names.ts), each name resolved with the search_path of
 * its own statement. Objects the migration does not touch are unknown here: the
 * delta says what the file proves, never what the database holds.
 *
 * Each statement gets a `SchemaView` of the delta as it was before it. Views
 * share one history (each record tagged with the statement's sequence number),
 * so taking one is O(1) and a schema dump of 10,000 tables stays linear.
 *
 * PostgreSQL behaviour relied on: a PRIMARY KEY makes its columns NOT NULL
 * (sql-createtable.html); an index lives in its table's schema
 * (sql-createindex.html); DROP TABLE drops its indexes and constraints
 * (sql-droptable.html); `RENAME TO` keeps the table's columns and constraints.
 */
import type { Node } from 'libpg-query';
import { alterSubcommands, columnFact, constraintFact, type ColumnFact } from './alter.js';
import { dropObjectRelations, stringList } from './locks.js';
import { creationKey, fromNameList, fromRangeVar, keySchema, lookupKey, relationKey, type RelationKey, type RelationName } from './names.js';
import { colKey, DeltaView, historyAt, type ColumnState, type ConstraintState, type DomainState, type DomainUsers, type EnumValueState, type History, type IndexState, type SchemaView, type TableState } from './schema-view.js';

/** The statement kinds `SchemaDelta.apply` records something of: every branch of its chain, and nothing else. */
const SCHEMA_NODES = ['CreateStmt', 'CreateTableAsStmt', 'AlterTableStmt', 'RenameStmt', 'AlterObjectSchemaStmt', 'IndexStmt', 'DropStmt', 'CreateDomainStmt', 'CreateEnumStmt', 'AlterEnumStmt'] as const;

/** Whether `apply` may record something of `node` (a SELECT only with INTO). */
function changesSchema(node: Node): boolean {
  for (const k of SCHEMA_NODES) if (k in node) return true;
  return 'SelectStmt' in node && !!node.SelectStmt.intoClause;
}

/** The delta; `apply` each statement in order, `view()` before applying it. */
export class SchemaDelta {
  private seq = 0;
  // The histories are read by DeltaView (schema-view.ts), hence not private.
  /** @internal */
  readonly tables = new Map<RelationKey, History<TableState>>();
  /** @internal */
  readonly domains = new Map<RelationKey, History<DomainState>>();
  /** @internal */
  readonly cols = new Map<string, History<ColumnState>>();
  /** @internal */
  readonly cons = new Map<string, History<ConstraintState>>();
  /** @internal The history keys of `cons` by table, so that `constraints(t)` reads only that table's. */
  readonly consOf = new Map<RelationKey, Set<string>>();
  /** @internal The history keys of `cons` that ever held a FOREIGN KEY to a table, by that table, so that `referencing(t)` reads only those. */
  readonly refBy = new Map<RelationKey, Set<string>>();
  /** @internal */
  readonly idx = new Map<RelationKey, History<IndexState>>();
  /** @internal The history keys of `cols` by table, so that a table's columns are found without a walk of all. */
  readonly colsOf = new Map<RelationKey, Set<string>>();
  /** @internal The sequence numbers of the statements that created, dropped, renamed, moved or forgot each table. */
  readonly tableEvents = new Map<RelationKey, number[]>();
  /** @internal */
  readonly enums = new Map<RelationKey, History<EnumValueState[]>>();

  private put<T>(map: Map<string, History<T>>, key: string, value: T | null): void {
    const h = map.get(key) ?? [];
    h.push({ seq: this.seq, value });
    map.set(key, h);
  }

  /** The view before the next statement applied (one small object: the delta and a sequence number). */
  view(): SchemaView {
    return new DeltaView(this, this.seq + 1);
  }

  /** The sequence number of the last statement applied (0 before any): `viewAt(seq + 1)` is the view after it. */
  get applied(): number {
    return this.seq;
  }

  /** The view before the statement of sequence number `seq` (1 for the first statement applied). */
  viewAt(seq: number): SchemaView {
    return new DeltaView(this, seq);
  }

  /** A table-level event at the current statement: the table's earlier columns and constraints no longer hold. */
  private replaceTable(t: RelationKey): void {
    for (const k of this.colsOf.get(t) ?? []) if (historyAt(this.cols.get(k), this.seq + 1)) this.put(this.cols, k, null);
    for (const k of this.consOf.get(t) ?? []) if (historyAt(this.cons.get(k), this.seq + 1)) this.put(this.cons, k, null);
    const ev = this.tableEvents.get(t) ?? [];
    if (ev[ev.length - 1] !== this.seq) ev.push(this.seq);
    this.tableEvents.set(t, ev);
  }

  /**
   * Records, as one statement, that what is known of `tables` (their columns and constraints) no longer
   * holds: for a statement that may change them in ways the delta does not follow (a DO block's).
   */
  forget(tables: Iterable<RelationKey>): void {
    this.seq++;
    for (const t of tables) this.replaceTable(t);
  }

  /** @internal The tables using domain `key` (or a domain over it) as of `seq`, for DeltaView. */
  domainUsers(key: RelationKey, seq: number): DomainUsers {
    const at = historyAt;
    // The domain and the migration's domains over it, in turn.
    const over = new Set<RelationKey>([key]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [k, h] of this.domains) {
        const d = at(h, seq);
        if (d && d.base !== null && over.has(d.base) && !over.has(k)) {
          over.add(k);
          grew = true;
        }
      }
    }
    const tables: RelationKey[] = [];
    for (const [k, h] of this.cols) {
      const c = at(h, seq);
      if (!c?.typeKey || !over.has(c.typeKey)) continue;
      const t = k.slice(0, k.indexOf('\0'));
      const tbl = at(this.tables.get(t), seq);
      // Dropped (null), or partitioned: no rows of its own to check.
      if (tbl === null || tbl?.partitioned) continue;
      if (!tables.includes(t)) tables.push(t);
    }
    const complete = [...this.tables.values()].every((h) => !at(h, seq)?.opaque);
    return { tables, complete };
  }

  /**
   * Records what one statement changes.
   * @param path the search_path it runs with; @param isTemp whether a temporary table of that name exists;
   * @param transaction the key of its transaction block (null in autocommit).
   */
  apply(node: Node, path: readonly string[], transaction: string | null, pgVersion: number, isTemp: (name: string) => boolean = () => false): void {
    this.seq++;
    // Most statements (INSERT, UPDATE, CREATE FUNCTION, GRANT, ...) change nothing the delta follows: no view or helpers made for them.
    if (!changesSchema(node)) return;
    const before = this.view();
    const existing = (n: RelationName) => lookupKey(n, path, isTemp);
    const setCol = (t: RelationKey, c: ColumnState | null, name: string) => {
      const key = colKey(t, name);
      this.put(this.cols, key, c);
      const names = this.colsOf.get(t) ?? new Set<string>();
      names.add(key);
      this.colsOf.set(t, names);
    };
    /** Whether a change to the column of this prior state leaves the rest as it was before the migration. */
    const fromBefore = (prev: ColumnState | undefined) => (prev === undefined || prev.fromBefore === true ? { fromBefore: true } : {});
    const setCon = (t: RelationKey, name: string, c: ConstraintState | null) => {
      const key = colKey(t, name);
      this.put(this.cons, key, c);
      const names = this.consOf.get(t) ?? new Set<string>();
      names.add(key);
      this.consOf.set(t, names);
      if (c?.references) {
        const refs = this.refBy.get(c.references) ?? new Set<string>();
        refs.add(key);
        this.refBy.set(c.references, refs);
      }
    };
    const addConstraint = (t: RelationKey, f: ReturnType<typeof constraintFact>, fallbackName: string) => {
      if (!f) return;
      setCon(t, f.name ?? fallbackName, { name: f.name ?? fallbackName, kind: f.kind, validated: !f.notValid, checksNotNull: f.checksNotNull, columns: f.columns, transaction, ...(f.kind === 'foreign-key' ? { references: f.references ? existing(f.references) : null } : {}) });
      if (f.kind === 'primary-key' || (f.kind === 'not-null' && !f.notValid)) {
        for (const c of f.columns) {
          const prev = before.column(t, c);
          setCol(t, { name: c, type: prev?.type ?? null, notNull: true, addedInUnit: prev?.addedInUnit ?? false, typeKey: prev?.typeKey ?? null, ...fromBefore(prev) }, c);
        }
      }
    };
    const typeKey = (t: ColumnFact['type']) => (t && !t.array ? lookupKey({ schema: t.schema, name: t.name }, path, isTemp) : null);
    const colState = (c: ColumnFact, addedInUnit: boolean): ColumnState => ({ name: c.name, type: c.type, notNull: c.notNull, addedInUnit, typeKey: typeKey(c.type) });

    if ('CreateStmt' in node) {
      const name = fromRangeVar(node.CreateStmt.relation);
      if (!name) return;
      const t = creationKey(name, path);
      this.replaceTable(t);
      const columns: string[] = [];
      for (const e of node.CreateStmt.tableElts ?? []) {
        if ('ColumnDef' in e) {
          const c = columnFact(e.ColumnDef);
          columns.push(c.name);
          setCol(t, colState(c, true), c.name);
          for (const k of c.constraints) addConstraint(t, k, `${name.name}_${c.name}_${k.kind}`);
        }
      }
      const elts = node.CreateStmt.tableElts ?? [];
      const opaque = (node.CreateStmt.inhRelations ?? []).length > 0 || elts.some((e) => 'TableLikeClause' in e) || !!node.CreateStmt.ofTypename;
      const parent = node.CreateStmt.partbound ? node.CreateStmt.inhRelations?.[0] : undefined;
      const parentName = parent && 'RangeVar' in parent ? fromRangeVar(parent.RangeVar) : null;
      this.put(this.tables, t, { columns, ...(node.CreateStmt.partspec ? { partitioned: true } : {}), ...(opaque ? { opaque: true } : {}), ...(parentName ? { partitionOf: existing(parentName) } : {}) });
      for (const e of node.CreateStmt.tableElts ?? []) if ('Constraint' in e) addConstraint(t, constraintFact(e.Constraint), `${name.name}_${e.Constraint.contype ?? ''}`);
    } else if ('CreateTableAsStmt' in node || ('SelectStmt' in node && node.SelectStmt.intoClause)) {
      const rv = 'CreateTableAsStmt' in node ? node.CreateTableAsStmt.into?.rel : 'SelectStmt' in node ? node.SelectStmt.intoClause?.rel : undefined;
      const name = fromRangeVar(rv);
      if (name) {
        const t = creationKey(name, path);
        this.replaceTable(t);
        this.put(this.tables, t, { columns: [], opaque: true });
      }
    } else if ('AlterTableStmt' in node || 'RenameStmt' in node) {
      const rv = 'AlterTableStmt' in node ? node.AlterTableStmt.relation : (node as { RenameStmt: { relation?: Parameters<typeof fromRangeVar>[0] } }).RenameStmt.relation;
      const name = fromRangeVar(rv);
      if (!name) return;
      const t = existing(name);
      for (const sub of alterSubcommands(node, pgVersion)) {
        switch (sub.kind) {
          case 'add-column': {
            setCol(t, colState(sub.column, true), sub.column.name);
            const tbl = historyAt(this.tables.get(t), this.seq + 1);
            if (tbl) this.put(this.tables, t, { columns: [...tbl.columns, sub.column.name] });
            for (const k of sub.column.constraints) addConstraint(t, k, `${name.name}_${sub.column.name}_${k.kind}`);
            break;
          }
          case 'alter-column-type': {
            const prev = before.column(t, sub.column);
            setCol(t, { name: sub.column, type: sub.type, notNull: prev?.notNull ?? null, addedInUnit: prev?.addedInUnit ?? false, typeKey: typeKey(sub.type), ...fromBefore(prev) }, sub.column);
            break;
          }
          case 'set-not-null':
          case 'drop-not-null': {
            const prev = before.column(t, sub.column);
            setCol(t, { name: sub.column, type: prev?.type ?? null, notNull: sub.kind === 'set-not-null', addedInUnit: prev?.addedInUnit ?? false, typeKey: prev?.typeKey ?? null, ...fromBefore(prev) }, sub.column);
            break;
          }
          case 'drop-column': {
            setCol(t, null, sub.column);
            const tbl = historyAt(this.tables.get(t), this.seq + 1);
            if (tbl) this.put(this.tables, t, { columns: tbl.columns.filter((c) => c !== sub.column) });
            break;
          }
          case 'add-constraint':
            addConstraint(t, sub.constraint, `${name.name}_${sub.constraint.kind}`);
            break;
          case 'validate-constraint': {
            const prev = before.constraint(t, sub.name);
            setCon(t, sub.name, { name: sub.name, kind: prev?.kind ?? 'check', validated: true, checksNotNull: prev?.checksNotNull ?? null, columns: prev?.columns ?? [], transaction: prev?.transaction ?? null });
            break;
          }
          case 'drop-constraint':
            setCon(t, sub.name, null);
            break;
          case 'rename-column': {
            const prev = before.column(t, sub.from);
            setCol(t, null, sub.from);
            setCol(t, { name: sub.to, type: prev?.type ?? null, notNull: prev?.notNull ?? null, addedInUnit: prev?.addedInUnit ?? false, typeKey: prev?.typeKey ?? null }, sub.to);
            const tbl = historyAt(this.tables.get(t), this.seq + 1);
            if (tbl) this.put(this.tables, t, { columns: tbl.columns.map((c) => (c === sub.from ? sub.to : c)) });
            break;
          }
          case 'rename-constraint': {
            const prev = before.constraint(t, sub.from);
            setCon(t, sub.from, null);
            if (prev) setCon(t, sub.to, { ...prev, name: sub.to });
            break;
          }
          case 'attach-partition':
          case 'detach-partition': {
            // A partition the migration created changes parent.
            const k = sub.partition ? existing(sub.partition) : null;
            const part = k ? historyAt(this.tables.get(k), this.seq + 1) : null;
            if (k && part) {
              const { partitionOf: _old, ...rest } = part;
              this.put(this.tables, k, sub.kind === 'attach-partition' ? { ...rest, partitionOf: t } : rest);
            }
            break;
          }
          case 'rename-table': {
            // The new key gets the old one's records (what they leave unknown is not the new key's prior state); the old key is gone.
            const to = relationKey(keySchema(t), sub.to);
            if (to === t) break;
            const tbl = historyAt(this.tables.get(t), this.seq + 1);
            const cols = [...(this.colsOf.get(t) ?? [])].map((k) => [k.slice(t.length + 1), historyAt(this.cols.get(k), this.seq + 1)] as const);
            const cons = [...(this.consOf.get(t) ?? [])].map((k) => [k.slice(t.length + 1), historyAt(this.cons.get(k), this.seq + 1)] as const);
            this.replaceTable(to);
            this.replaceTable(t);
            if (tbl) {
              this.put(this.tables, to, tbl);
              this.put(this.tables, t, null);
            }
            for (const [c, v] of cols) if (v) setCol(to, { ...v, fromBefore: false }, c);
            for (const [c, v] of cons) if (v) setCon(to, c, v);
            break;
          }
          default:
            break;
        }
      }
    } else if ('AlterObjectSchemaStmt' in node && (node.AlterObjectSchemaStmt.objectType === 'OBJECT_TABLE' || node.AlterObjectSchemaStmt.objectType === 'OBJECT_MATVIEW')) {
      // SET SCHEMA moves the table: neither key keeps what the delta knew (sql-altertable.html).
      const s = node.AlterObjectSchemaStmt;
      const name = fromRangeVar(s.relation);
      if (!name || !s.newschema) return;
      const t = existing(name);
      const to = relationKey(s.newschema, name.name);
      if (historyAt(this.tables.get(t), this.seq + 1)) this.put(this.tables, t, null);
      this.replaceTable(t);
      this.replaceTable(to);
    } else if ('IndexStmt' in node) {
      const s = node.IndexStmt;
      const table = fromRangeVar(s.relation);
      if (!table || !s.idxname) return;
      const t = existing(table);
      const key = relationKey(keySchema(t), s.idxname);
      this.put(this.idx, key, { key, table: t, unique: !!s.unique, concurrently: !!s.concurrent });
    } else if ('DropStmt' in node) {
      const d = node.DropStmt;
      if (d.removeType === 'OBJECT_DOMAIN') {
        // DROP DOMAIN lists TypeName nodes.
        for (const o of d.objects ?? []) {
          const names = 'TypeName' in o ? stringList({ List: { items: o.TypeName.names ?? [] } }) : [];
          const n = fromNameList(names);
          const k = n ? existing(n) : null;
          if (k && historyAt(this.domains.get(k), this.seq + 1)) this.put(this.domains, k, null);
        }
        return;
      }
      if (d.removeType === 'OBJECT_SCHEMA') {
        // DROP SCHEMA ... CASCADE drops its tables and indexes (sql-dropschema.html; without CASCADE it fails unless the schema is empty).
        const schemas = new Set((d.objects ?? []).flatMap((o) => ('String' in o && o.String.sval !== undefined ? [o.String.sval] : [])));
        for (const t of new Set([...this.tables.keys(), ...this.colsOf.keys(), ...this.consOf.keys()])) {
          if (!schemas.has(keySchema(t))) continue;
          if (historyAt(this.tables.get(t), this.seq + 1)) this.put(this.tables, t, null);
          this.replaceTable(t);
        }
        for (const k of this.idx.keys()) if (schemas.has(keySchema(k)) && historyAt(this.idx.get(k), this.seq + 1)) this.put(this.idx, k, null);
        return;
      }
      for (const n of dropObjectRelations(d.objects)) {
        const k = existing(n);
        if (d.removeType === 'OBJECT_TABLE' || d.removeType === 'OBJECT_MATVIEW') {
          // A table the migration did not create is marked gone too (its columns then count for nothing).
          if (historyAt(this.tables.get(k), this.seq + 1) !== null) this.put(this.tables, k, null);
          // Its columns and constraints go with it (sql-droptable.html), foreign keys to other tables included.
          this.replaceTable(k);
        } else if (d.removeType === 'OBJECT_INDEX') {
          if (historyAt(this.idx.get(k), this.seq + 1)) this.put(this.idx, k, null);
        }
      }
    } else if ('CreateDomainStmt' in node) {
      const n = fromNameList(stringList({ List: { items: node.CreateDomainStmt.domainname ?? [] } }));
      if (!n) return;
      const key = creationKey(n, path);
      const base = node.CreateDomainStmt.typeName;
      const names = stringList({ List: { items: base?.names ?? [] } });
      const baseName = (base?.arrayBounds ?? []).length ? null : fromNameList(names);
      this.put(this.domains, key, { key, base: baseName ? lookupKey(baseName, path, isTemp) : null });
    } else if ('CreateEnumStmt' in node) {
      const n = fromNameList(stringList({ List: { items: node.CreateEnumStmt.typeName ?? [] } }));
      if (!n) return;
      const vals = (node.CreateEnumStmt.vals ?? []).flatMap((v) => ('String' in v && v.String.sval !== undefined ? [{ value: v.String.sval, source: 'create-type' as const, transaction }] : []));
      this.put(this.enums, creationKey(n, path), vals);
    } else if ('AlterEnumStmt' in node) {
      const s = node.AlterEnumStmt;
      const n = fromNameList(stringList({ List: { items: s.typeName ?? [] } }));
      if (!n || !s.newVal || s.oldVal) return;
      const k = existing(n);
      this.put(this.enums, k, [...(historyAt(this.enums.get(k), this.seq + 1) ?? []), { value: s.newVal, source: 'add-value', transaction }]);
    }
  }
}

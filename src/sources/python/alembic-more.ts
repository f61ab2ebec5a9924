/**
 * The `op.*` operations of Alembic beyond the schema builders of alembic.ts: rows
 * (`bulk_insert`), table comments and exclusion constraints, as the SQL Alembic's
 * PostgreSQL dialect sends, with the call as span.
 */
import { alterTableSql, literal, qname } from '../../sql/write.js';
import type { BuiltSql } from '../typescript/types.js';
import type { PyEnv } from './env.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional } from './strings.js';
import { PyValues } from './values.js';

/** The SQL of one of these calls (`batch`: the table of a `batch_alter_table` block), or null when it is none of them. */
export function extraBuilder(method: string, call: PyNode, batch: string | null, env: PyEnv): BuiltSql[] | null {
  const v = new PyValues(env.bindings, env.placeholders);
  const a = positional(call);
  const kw = keywords(call);
  const schema = kw.get('schema') ? v.name(kw.get('schema')) : null;
  const table = (n: PyNode | undefined) => (batch !== null ? batch : v.name(n));
  const withSchema = (t: string) => (schema ? `${schema}.${t}` : t);
  const out = (sql: string) => [v.built(sql, call)];
  switch (method) {
    case 'bulk_insert': {
      // `op.bulk_insert(sa.table("accounts", sa.column("id"), ...), [{...}, ...])`: one INSERT of the rows given.
      if (batch !== null) return null;
      const t = v.resolve(kw.get('table') ?? a[0] ?? call);
      const callee = t.type === 'call' ? (t.childForFieldName('function')?.text ?? '') : '';
      if (!/(^|\.)(table|Table)$/.test(callee)) return null;
      const [name, ...cols] = positional(t);
      const columns = cols.filter((c) => c.type === 'call' && /(^|\.)(column|Column)$/.test(c.childForFieldName('function')?.text ?? '')).map((c) => qname(v.name(positional(c)[0])));
      const tschema = keywords(t).get('schema');
      v.interpolated = true; // the row values are parameters
      const target = tschema ? `${v.name(tschema)}.${v.name(name)}` : v.name(name);
      return out(`INSERT INTO ${qname(target)}${columns.length ? ` (${columns.join(', ')})` : ''} VALUES (${(columns.length ? columns : ['x']).map((_, i) => `$${i + 1}`).join(', ')})`);
    }
    case 'create_table_comment': {
      const comment = v.str(kw.get('comment') ?? a[1]);
      if (comment === null) v.interpolated = true;
      return out(`COMMENT ON TABLE ${qname(withSchema(table(kw.get('table_name') ?? a[0])))} IS ${comment === null ? '$1' : literal(comment)}`);
    }
    case 'drop_table_comment':
      return out(`COMMENT ON TABLE ${qname(withSchema(table(kw.get('table_name') ?? a[0])))} IS NULL`);
    case 'create_exclude_constraint': {
      // op.create_exclude_constraint("name", "table", ("period", "&&"), ..., using="gist", where=...)
      const elements = (batch !== null ? a.slice(1) : a.slice(2)).map((e) => {
        const [col, op] = e.type === 'tuple' ? named(e) : [];
        const c = v.str(col);
        const o = v.str(op);
        if (c === null || o === null) v.interpolated = true;
        return `${c === null ? '"unknown"' : qname(c)} WITH ${o ?? '='}`;
      });
      const using = kw.get('using') ? v.name(kw.get('using')) : 'gist';
      const where = kw.get('where') ? ` WHERE (${v.sqlText(kw.get('where'))})` : '';
      const t = batch !== null ? batch : v.name(a[1] ?? kw.get('table_name'));
      return out(alterTableSql(withSchema(t), [`ADD CONSTRAINT ${qname(v.name(a[0] ?? kw.get('constraint_name')))} EXCLUDE USING ${using} (${elements.length ? elements.join(', ') : ((v.interpolated = true), '"unknown" WITH =')})${where}`]));
    }
    default:
      return null;
  }
}


/**
 * migrun's own API: `export async function up(ctx)` calling `ctx.sql(...)`,
 * `ctx.ddl(...)`, `ctx.dml(...)` and `ctx.index(...)` (also as tagged
 * templates), and `ctx.backfill({ table, set, where })`. migrun wraps nothing
 * itself: each executor decides (`execDdl` and `execDml` run a short
 * transaction with timeouts, `execIndex` runs in autocommit, `ctx.sql` plans
 * each statement by its classification). The raw-query recognition in
 * `queries.ts` gives each SQL string its executor.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { Values, methodCall, qname } from './sqlgen.js';
import type { BuiltSql, Env, FrameworkSupport } from './types.js';

/** `ctx.backfill({ table, set, where })`: batches of `UPDATE table SET set WHERE where`, on execDml. */
function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc || mc.method !== 'backfill' || !Node.isIdentifier(mc.receiver)) return null;
  const v = new Values(env);
  const o = v.props(call.getArguments()[0]);
  if (!o) return null;
  const set = v.str(o.get('set'));
  const where = v.str(o.get('where'));
  if (set === null) return null;
  const sql = `UPDATE ${qname(v.name(o.get('table')))} SET ${set}${where ? ` WHERE ${where}` : ''}`;
  return [{ ...v.built(sql, call), executor: 'migrun-dml' }];
}

export const migrun: FrameworkSupport = {
  framework: 'migrun',
  name: 'migrun',
  connections: 'single',
  detect: {
    paramType: /^(Migrun|Migration)?(Context|Ctx)\b/,
    imports: /(^|\/)migrun(\/|$)|^miglint(\/|$)/,
    byUse: { order: 10, test: (uses, p) => ['ddl', 'dml', 'index', 'backfill'].some((u) => uses.has(u)) || (uses.has('sql') && /^(ctx|context)$/.test(p.param ?? '')) },
  },
  builder: translate,
  wrapped() {
    return { inTransaction: false, reason: "migrun's executors decide per statement" };
  },
  rawStatement(_env, phase) {
    const ctx = phase.param ?? 'ctx';
    return { awaits: true, code: (sql, quote) => `await ${ctx}.sql(${quote(sql)})` };
  },
};

/**
 * `migrun trace` output: text (the default), markdown (for a pull request
 * comment) and JSON (the TraceReport as it is). Lock modes are written as
 * `pg_locks.mode` names them, marked with what they block (the manual's
 * "Conflicting Lock Modes" table, explicit-locking.html#LOCKING-TABLES).
 */
import { oneLine } from './blockers.js';
import { formatDuration } from './duration.js';
import { blocksReads, blocksWrites, fromPgLocksName } from '../sql/lock-modes.js';
import type { TraceMigration, TraceReport, TraceResult } from './trace.js';
import type { TraceLock, TraceStatement } from './trace-observe.js';

export type TraceFormat = 'text' | 'markdown' | 'json';

/** What a lock blocks: `blocks reads and writes`, `blocks writes`, or '' (neither). */
export function lockBlocks(mode: string): string {
  const m = fromPgLocksName(mode);
  if (!m) return '';
  if (blocksReads(m)) return 'blocks reads and writes';
  if (blocksWrites(m)) return 'blocks writes';
  return '';
}

/** Whether a statement took a lock that blocks reads or writes on an existing relation, or rewrote one. */
export function isDangerous(s: TraceStatement): boolean {
  return s.rewrites.length > 0 || s.locks.some((l) => lockBlocks(l.mode) !== '');
}

/** Consecutive runs of the same statement (a backfill's batches) as one entry with a count. */
interface Entry {
  first: TraceStatement;
  count: number;
  totalMs: number;
  maxWindowMs: number | null;
}

function entries(statements: readonly TraceStatement[]): Entry[] {
  const out: Entry[] = [];
  for (const s of statements) {
    const last = out[out.length - 1];
    // The same call site (a backfill's batches, whose SQL differs only in its key range).
    const same = last && !s.error && !last.first.error && last.first.file === s.file && last.first.line === s.line && last.first.column === s.column;
    if (same) {
      last.count++;
      last.totalMs += s.durationMs;
      if (s.lockWindowMs !== null) last.maxWindowMs = Math.max(last.maxWindowMs ?? 0, s.lockWindowMs);
      for (const l of s.locks) if (!last.first.locks.some((x) => x.relation === l.relation && x.mode === l.mode)) last.first = { ...last.first, locks: [...last.first.locks, l] };
      continue;
    }
    out.push({ first: s, count: 1, totalMs: s.durationMs, maxWindowMs: s.lockWindowMs });
  }
  return out;
}

const ms = (n: number) => (n < 1000 ? `${n.toFixed(1)}ms` : formatDuration(n));

function lockText(l: TraceLock): string {
  const b = lockBlocks(l.mode);
  return `${l.mode} on ${l.relation}${b ? ` (${b})` : ''}`;
}

function windowText(e: Entry): string {
  if (e.maxWindowMs === null) return '';
  const until = e.first.inTransaction ? 'until its transaction ended' : 'while it ran (its own transaction)';
  return `${e.count > 1 ? 'each held at most' : 'held'} ${ms(e.maxWindowMs)} ${until}`;
}

function headline(r: TraceResult): string {
  const started = r.server.source === 'database-url' ? '' : `, started in ${formatDuration(r.server.startMs)}`;
  return `PostgreSQL ${r.server.version}: ${r.server.source === 'database-url' ? '' : 'a throwaway server from '}${r.server.description}${started}`;
}

/** The dangerous statements of the whole trace, longest lock window first. */
function dangerous(report: TraceReport): { m: TraceMigration; s: TraceStatement }[] {
  return report.migrations
    .flatMap((m) => m.statements.filter(isDangerous).map((s) => ({ m, s })))
    .sort((a, b) => (b.s.lockWindowMs ?? b.s.durationMs) - (a.s.lockWindowMs ?? a.s.durationMs));
}

/** The text report: per migration, per statement; then the dangerous ones. */
export function formatTraceText(r: TraceResult): string {
  const out: string[] = [headline(r), ''];
  for (const m of r.report.migrations) {
    out.push(`${m.file}  (${m.how})`);
    for (const e of entries(m.statements)) {
      const s = e.first;
      const times = e.count > 1 ? ` x${e.count}` : '';
      out.push(`  ${s.line}:${s.column}  ${ms(e.totalMs)}${times}  ${s.inTransaction ? 'in transaction' : 'autocommit'}  ${oneLine(s.sql, 100)}`);
      for (const l of s.locks.filter((x) => lockBlocks(x.mode))) out.push(`      ${lockText(l)}`);
      const mild = s.locks.filter((x) => !lockBlocks(x.mode));
      if (mild.length) out.push(`      ${[...new Set(mild.map((l) => l.mode))].map((mode) => `${mode} on ${mild.filter((l) => l.mode === mode).map((l) => l.relation).join(', ')}`).join('; ')}`);
      const earlier = s.heldBefore.filter((x) => lockBlocks(x.mode));
      if (earlier.length) out.push(`      still holding from earlier in its transaction: ${earlier.map(lockText).join(', ')}`);
      if (s.rewrites.length) out.push(`      rewrote ${s.rewrites.join(', ')}`);
      const w = windowText(e);
      if (w) out.push(`      ${w}`);
      if (s.note) out.push(`      note: ${s.note}`);
      if (s.error) out.push(`      FAILED: ${oneLine(s.error, 300)}`);
    }
    if (m.statements.length === 0 && m.notTraced.length === 0 && !m.error) out.push('  no statements');
    for (const n of m.notTraced) out.push(`  not traced: line ${n.line}: ${n.reason}`);
    if (m.error) out.push(`  migration failed, the trace stops here: ${oneLine(m.error, 300)}`);
    out.push('');
  }
  const d = dangerous(r.report);
  if (d.length === 0) out.push('no statement took a lock that blocks reads or writes on an existing relation, or rewrote one');
  else {
    out.push(`${d.length} statement${d.length === 1 ? '' : 's'} took locks that block reads or writes on existing relations, or rewrote them (longest lock window first):`);
    for (const { m, s } of d) {
      const worst = s.locks.filter((l) => lockBlocks(l.mode)).map((l) => `${l.mode} on ${l.relation}`).join(', ');
      const w = s.lockWindowMs !== null ? `${ms(s.lockWindowMs)} ` : '';
      out.push(`  ${w}${m.file}:${s.line}:${s.column}  ${worst}${s.rewrites.length ? `${worst ? '; ' : ''}rewrote ${s.rewrites.join(', ')}` : ''}`);
    }
  }
  const failed = r.report.migrations.find((m) => m.error);
  if (failed) out.push('', `FAILED: ${failed.file}`);
  return out.join('\n');
}

const cell = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The markdown report, for a pull request comment: a summary, then a table per migration. */
export function formatTraceMarkdown(r: TraceResult): string {
  const out: string[] = [`### migrun trace`, '', `${headline(r)}.`, ''];
  const d = dangerous(r.report);
  out.push(d.length ? `**${d.length} statement${d.length === 1 ? '' : 's'} block reads or writes on existing relations, or rewrite them.**` : 'No statement blocks reads or writes on an existing relation.', '');
  for (const m of r.report.migrations) {
    out.push(`#### \`${m.file}\``, '', `_${m.how}_`, '');
    const es = entries(m.statements);
    if (es.length) {
      out.push('| line | statement | duration | locks | rewrites | lock window |', '| ---: | --- | ---: | --- | --- | ---: |');
      for (const e of es) {
        const s = e.first;
        const locks = s.locks.map((l) => (lockBlocks(l.mode) ? `**${cell(lockText(l))}**` : cell(lockText(l)))).join('<br>') || '-';
        out.push(
          `| ${s.line}:${s.column} | \`${cell(oneLine(s.sql, 80))}\`${e.count > 1 ? ` ×${e.count}` : ''}${s.error ? ' **failed**' : ''} | ${ms(e.totalMs)} | ${locks} | ${s.rewrites.join(', ') || '-'} | ${e.maxWindowMs !== null ? ms(e.maxWindowMs) : '-'} |`,
        );
      }
      out.push('');
    }
    for (const n of m.notTraced) out.push(`- not traced: line ${n.line}: ${cell(n.reason)}`);
    if (m.error) out.push(`- **failed**: ${cell(oneLine(m.error, 300))}`);
    if (m.notTraced.length || m.error) out.push('');
  }
  return out.join('\n').trimEnd();
}

/** The report in the chosen format. */
export function formatTrace(r: TraceResult, format: TraceFormat): string {
  if (format === 'json') return JSON.stringify(r.report, null, 2);
  return format === 'markdown' ? formatTraceMarkdown(r) : formatTraceText(r);
}

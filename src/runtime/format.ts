/**
 * Text renderings of plan, status and lock reports (plain text, no colour;
 * the CLI prints them as they are).
 */
import { formatSession, formatSessions } from './blockers.js';
import { formatDuration } from './duration.js';
import type { LocksReport } from './locks-report.js';
import { describeLocks, executorName, statementLine } from './planner.js';
import type { PlanResult, StatusResult } from './runner.js';

/**
 * ```
 * 002_add_index.sql (pending): 2 steps, progress recorded per step
 *   step 1  execDdl  transaction
 *     002_add_index.sql:1:1  ALTER TABLE items ADD COLUMN note text
 *       ACCESS EXCLUSIVE on items
 *   step 2  execIndex  autocommit
 *     ...
 * ```
 */
export function formatPlan(p: PlanResult): string {
  const count = p.migrations.length;
  if (count === 0) return p.offline ? 'no migrations in the directory' : `nothing to do: ${p.alreadyApplied} applied, none pending`;
  const plural = count === 1 ? '' : 's';
  const head = p.offline
    ? `${count} migration${plural} planned offline (no database: which are applied is unknown, so all are shown as pending)`
    : `${count} pending migration${plural} (${p.alreadyApplied} already applied)`;
  const out: string[] = [head, ''];
  for (const m of p.migrations) {
    const how = m.singleTransaction
      ? 'one transaction, all or nothing'
      : m.steps.length === 0
        ? 'no statements'
        : `${m.steps.length} step${m.steps.length === 1 ? '' : 's'}, progress recorded per step`;
    out.push(`${m.display} (${m.state === 'partial' ? `partly applied: ${m.doneSteps} step${m.doneSteps === 1 ? '' : 's'} done` : 'pending'}): ${how}`);
    for (const n of m.notes) out.push(`  note: ${n}`);
    m.steps.forEach((step, i) => {
      const done = i < m.doneSteps ? '  (done)' : '';
      out.push(`  step ${i + 1}  ${executorName(step.executor)}  ${step.transaction ? 'transaction' : 'autocommit'}${done}`);
      if (step.description) out.push(`    ${step.description}`);
      for (const s of step.statements) {
        out.push(`    ${s.where}  ${statementLine(s, 100)}`);
        out.push(`      ${describeLocks(s.locks)}${s.bestEffort ? '  (best effort)' : ''}`);
      }
    });
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const STATE_LABEL: Record<string, string> = {
  applied: 'applied',
  changed: 'CHANGED since applied',
  pending: 'pending',
  partial: 'FAILED, resumable',
  'missing-file': 'applied, file missing',
};

/** One line per migration, oldest first, then a count per state. */
export function formatStatus(s: StatusResult): string {
  const out: string[] = [];
  if (!s.tableExists) out.push(`${s.table} does not exist yet: nothing applied`);
  const width = Math.max(8, ...s.entries.map((e) => STATE_LABEL[e.state]!.length));
  for (const e of s.entries) {
    let extra = '';
    const r = e.row;
    if (r && (e.state === 'applied' || e.state === 'changed' || e.state === 'missing-file')) {
      extra = `applied ${r.appliedAt?.toISOString() ?? '?'}${r.durationMs !== null ? ` in ${formatDuration(r.durationMs)}` : ''}`;
    } else if (r && e.state === 'partial') {
      extra = `${r.stepsDone}${r.stepsTotal !== null ? `/${r.stepsTotal}` : ''} steps done; resumes at step ${r.stepsDone + 1}${r.lastError ? `; last error: ${r.lastError.split('\n')[0]}` : ''}`;
    }
    out.push(`${STATE_LABEL[e.state]!.padEnd(width)}  ${e.display}${extra ? `  ${extra}` : ''}`);
  }
  const count = (st: string) => s.entries.filter((e) => e.state === st).length;
  out.push(
    '',
    `${count('applied') + count('changed') + count('missing-file')} applied, ${count('pending')} pending, ${count('partial')} failed and resumable, ${count('changed')} changed since applied` +
      (count('missing-file') ? `, ${count('missing-file')} without a file` : ''),
  );
  return out.join('\n');
}

/** Blocked sessions with their blockers, idle-in-transaction sessions, INVALID indexes. */
export function formatLocks(r: LocksReport): string {
  const out: string[] = [`database ${r.database}`];
  if (r.terminatedPid) out.push('', `terminated:`, formatSession(r.terminatedPid));
  if (r.terminatedIdle.length) {
    out.push('', `terminated ${r.terminatedIdle.filter((t) => t.terminated).length} idle-in-transaction session(s):`, formatSessions(r.terminatedIdle.map((t) => t.session)));
  }
  out.push('', r.blocked.length ? `blocked sessions (${r.blocked.length}):` : 'blocked sessions: none');
  for (const b of r.blocked) out.push(formatSession(b), `    blocked by: ${b.blockedBy.map((p) => `pid ${p}`).join(', ')}`);
  if (r.blocking.length) out.push('', `blocking sessions (${r.blocking.length}):`, formatSessions(r.blocking));
  out.push('', r.idle.length ? `idle in transaction (${r.idle.length}):` : 'idle in transaction: none');
  if (r.idle.length) out.push(formatSessions(r.idle));
  out.push('', r.invalidIndexes.length ? `INVALID indexes (${r.invalidIndexes.length}):` : 'INVALID indexes: none');
  for (const i of r.invalidIndexes) {
    out.push(`  ${i.index} on ${i.table}${i.buildInProgress ? '  (a concurrent build is in progress)' : `  (drop with: DROP INDEX CONCURRENTLY ${i.index};)`}`);
    out.push(`    ${i.definition}`);
  }
  return out.join('\n');
}

/**
 * The pipe from miglint to the trace: `miglint -f json migrations | migrun trace
 * migrations --findings -` marks each static finding with what the trace saw at
 * its statement.
 *
 * - A `locking` or `timeouts` finding is *confirmed* when its statement took a
 *   lock that blocks reads or writes on a relation that existed before its
 *   migration, rewrote one, or failed; *contradicted* when the statement ran and
 *   did none of that (for a timeout finding: without such a lock there is
 *   nothing for the timeout to bound).
 * - A `transactions` or `error-handling` finding is confirmed when its
 *   statement failed, and otherwise not checked: locks do not tell whether an
 *   error is swallowed or a connection leaks.
 * - A finding whose statement was not run, or not traced, says so.
 */
import { resolve } from 'node:path';
import { rules } from '../../rules/index.js';
import { oneLine } from './blockers.js';
import { UsageError } from './errors.js';
import { isDangerous, lockBlocks } from './trace-format.js';
import type { TraceReport } from './trace.js';
import type { TraceStatement } from './trace-observe.js';

export type Verdict = 'confirmed' | 'contradicted' | 'not checked' | 'not traced';

export interface CheckedFinding {
  file: string;
  line: number;
  column: number;
  ruleId: string;
  message: string;
  verdict: Verdict;
  /** What the trace saw, in one sentence. */
  evidence: string;
}

interface EslintFile {
  filePath: string;
  messages: { ruleId: string | null; message: string; line: number; column: number }[];
}

/**
 * Reads miglint's JSON report (ESLint's format).
 * @throws UsageError when the text is not such a report.
 */
export function parseFindings(text: string, what: string): EslintFile[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON (expected the output of miglint -f json): ${(e as Error).message}`);
  }
  const ok = Array.isArray(data) && data.every((f) => f && typeof f.filePath === 'string' && Array.isArray(f.messages));
  if (!ok) throw new UsageError(`${what} is not a miglint JSON report (an array of { filePath, messages })`);
  return data as EslintFile[];
}

const CATEGORY = new Map(rules.map((r) => [r.meta.id, r.meta.category]));

/** The traced statement a finding on `line` belongs to: the last one whose lines hold it. */
function statementAt(statements: readonly TraceStatement[], line: number): TraceStatement | null {
  return statements.filter((s) => s.line <= line && line <= s.endLine).pop() ?? null;
}

function describe(s: TraceStatement): string {
  const locks = s.locks.filter((l) => lockBlocks(l.mode)).map((l) => `${l.mode} on ${l.relation} (${lockBlocks(l.mode)})`);
  const parts = [...locks];
  if (s.rewrites.length) parts.push(`rewrote ${s.rewrites.join(', ')}`);
  const window = s.lockWindowMs !== null ? `, held ${s.lockWindowMs}ms` : '';
  return `${parts.join('; ')}${window}`;
}

/**
 * Marks each finding of `files` against the trace, matching files by resolved path.
 * @param cwd what relative paths in both are relative to.
 */
export function checkFindings(files: EslintFile[], report: TraceReport, cwd: string): CheckedFinding[] {
  const byFile = new Map(report.migrations.map((m) => [resolve(cwd, m.file), m]));
  const out: CheckedFinding[] = [];
  for (const f of files) {
    const m = byFile.get(resolve(cwd, f.filePath));
    for (const msg of f.messages) {
      if (!msg.ruleId) continue;
      const base = { file: m?.file ?? f.filePath, line: msg.line, column: msg.column, ruleId: msg.ruleId, message: msg.message };
      const notTraced = m?.notTraced.find((n) => n.line === msg.line) ?? (m && m.statements.length === 0 ? m.notTraced[0] : undefined);
      const s = m && !notTraced ? statementAt(m.statements, msg.line) : null;
      if (!m || !s) {
        out.push({ ...base, verdict: 'not traced', evidence: !m ? 'the trace did not include this file' : (notTraced?.reason ?? 'no traced statement on this line (only the up direction is traced)') });
        continue;
      }
      const category = CATEGORY.get(msg.ruleId);
      if (s.error) out.push({ ...base, verdict: 'confirmed', evidence: `the statement failed: ${oneLine(s.error, 160)}` });
      else if (category === 'locking' || category === 'timeouts') {
        out.push(
          isDangerous(s)
            ? { ...base, verdict: 'confirmed', evidence: describe(s) }
            : { ...base, verdict: 'contradicted', evidence: `took no lock that blocks reads or writes on an existing relation and rewrote nothing (${s.durationMs}ms)` },
        );
      } else out.push({ ...base, verdict: 'not checked', evidence: `a ${category ?? 'unknown'} finding: the trace sees locks, not this` });
    }
  }
  return out;
}

/** One line per finding: `file:line:column rule-id: verdict: evidence`. */
export function formatFindings(list: readonly CheckedFinding[]): string {
  if (list.length === 0) return 'miglint findings: none';
  const count = (v: Verdict) => list.filter((f) => f.verdict === v).length;
  return [
    `miglint findings against the trace: ${count('confirmed')} confirmed, ${count('contradicted')} contradicted, ${count('not checked')} not checked, ${count('not traced')} not traced`,
    ...list.map((f) => `  ${f.file}:${f.line}:${f.column}  ${f.ruleId}: ${f.verdict}: ${f.evidence}`),
  ].join('\n');
}

/**
 * The fuzz oracle: lints one generated input through the engine the CLI uses
 * (`lintText`) and checks, for that input:
 * 1. no exception escapes the engine;
 * 2. the run takes at most 2 s of CPU time (user + system, the process's own
 *    work: on a loaded machine wall time also counts the waits for a CPU; both are kept);
 * 3. every statement the generator put in is either analysed — it is among the
 *    unit's statements and has each finding its piece must get (a safe statement:
 *    no finding at all at it) — or reported as not analysed: a `syntax-error`,
 *    `unanalyzable-file`, `unanalyzable-statement` or `internal-error` finding that
 *    covers it or starts before it (or at its end: "syntax error at end of input"). Only findings count as reported: a fact in the
 *    unit that no rule turns into a finding is silence to the user.
 */
import { performance } from 'node:perf_hooks';
import { resolveConfig, type ConfigFile, type ResolvedConfig } from '../../src/config/index.js';
import type { Finding } from '../../src/core/diagnostic.js';
import type { MigrationUnit } from '../../src/core/unit.js';
import { lintText } from '../../src/lint/engine.js';
import { rules } from '../../rules/index.js';
import type { Input } from './doc.js';
import type { Expected } from './model.js';

/** Rule ids that say something was not analysed. */
export const NOT_ANALYSED: ReadonlySet<string> = new Set(['syntax-error', 'unanalyzable-file', 'unanalyzable-statement', 'internal-error']);

/** The time limit of one run, in ms. */
export const TIME_LIMIT_MS = 2000;

/**
 * Which part of the oracle an input breaks:
 * - `exception`, `slow`: parts 1 and 2;
 * - `dropped`: part 3, a statement neither analysed nor reported (for a statement
 *   the generator broke on purpose: not reported);
 * - `missed`: part 3, a statement in the unit without a finding its piece must get;
 * - `unexpected`: part 3, a finding at a statement the generator knows is safe;
 * - `model`: the generator's own expectation is wrong (a "broken" statement parsed), a harness bug.
 */
export type Part = 'exception' | 'slow' | 'dropped' | 'missed' | 'unexpected' | 'model';

export interface Failure {
  part: Part;
  /** Groups failures of one kind: see `keyOf`. */
  key: string;
  detail: string;
  statement?: Expected;
}

export interface Outcome {
  /** CPU time of the run (user + system), ms. */
  ms: number;
  /** Wall-clock time of the run, ms. */
  wallMs: number;
  failures: Failure[];
  findings: Finding[];
}

const knownRules = new Set(rules.map((r) => r.meta.id));
/** Rules the generator's model of safe statements does not cover: rerunnability after a failure (IF [NOT] EXISTS) is not part of it. */
const UNMODELLED = new Set(['prefer-robust-stmts']);
const configs = new Map<string, ResolvedConfig>();
function configFor(file: ConfigFile): ResolvedConfig {
  const k = JSON.stringify(file);
  let c = configs.get(k);
  if (!c) configs.set(k, (c = resolveConfig(file, null, knownRules)));
  return c;
}

/** Most telling first: the feature a failure is grouped by. */
// (`script-error-before` comes last: a statement after a JS syntax error is excused by it, so one that fails is
// placed before it, e.g. in a const at the top, and something else is the cause.)
const FEATURE_ORDER = ['contains-nul', 'after-nul', 'nul-in-file', 'unterminated', 'dollar-brace', 'deep', 'bulk', 'in-do', 'broken-hole', 'unknown-hole', 'interpolated-call', 'tx-callback', 'builder', 'const-hole', 'const-sql', 'script-error-before'];

function primaryFeature(e: Expected): string {
  return FEATURE_ORDER.find((f) => e.features.includes(f)) ?? 'plain';
}

/**
 * A failure's class: the oracle part, SQL or script, and the statement's most telling
 * feature (a NUL, a DO body, an unknown template value, ...); the statement's kind is
 * added where nothing else tells (and for missed or unexpected findings, where it is the point).
 */
function keyOf(part: Part, input: Input, e: Expected): string {
  const feature = primaryFeature(e);
  const kind = feature === 'plain' || part === 'missed' || part === 'unexpected' || part === 'model' ? `:${e.kind}` : '';
  return `${part}:${group(input)}:${feature}${kind}`;
}

const group = (input: Input) => (input.name.endsWith('.sql') ? 'sql' : 'script');

/** The unit's statement that is `e`: by its marker (never a DO statement, which only holds its body's text), else by position. */
function recognised(unit: MigrationUnit, e: Expected): boolean {
  if (e.marker) return unit.statements.some((s) => !('DoStmt' in s.node) && s.sql.includes(e.marker!));
  return unit.statements.some((s) => s.span.start >= e.start && s.span.start < e.end);
}

const overlaps = (f: Finding, e: Expected) => f.span.start < e.end && Math.max(f.span.end, f.span.start + 1) > e.start;

/** Lints `input` and checks the three parts of the oracle. */
export function check(input: Input): Outcome {
  const config = configFor(input.config);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const took = () => {
    const c = process.cpuUsage(c0);
    return { ms: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
  };
  let run;
  try {
    run = lintText(input.name, input.text, config, { rules });
  } catch (err) {
    const message = String((err as Error)?.message ?? err).split('\n')[0]!;
    return { ...took(), findings: [], failures: [{ part: 'exception', key: `exception:${group(input)}:${message.replace(/\d+/g, 'N').slice(0, 80)}`, detail: `${(err as Error)?.stack ?? message}` }] };
  }
  const { ms, wallMs } = took();
  const failures: Failure[] = [];
  if (ms > TIME_LIMIT_MS) {
    const feature = ['bulk', 'deep'].find((f) => input.expected.some((e) => e.features.includes(f))) ?? 'plain';
    failures.push({ part: 'slow', key: `slow:${group(input)}:${feature}`, detail: `${Math.round(ms)} ms CPU (${Math.round(wallMs)} ms wall) for ${input.text.length} UTF-16 units` });
  }
  const reports = run.findings.filter((f) => NOT_ANALYSED.has(f.ruleId));
  const unit = run.unit;
  if (!unit) throw new Error(`${input.name}: the generator makes only kinds miglint reads (.sql, .ts, .js)`);
  for (const e of input.expected) {
    // At its end counts too: PostgreSQL's "syntax error at end of input" points past the statement (and the blanks after it).
    // SQL in a const runs at its call: a report before the call covers it as well.
    const reach = Math.max(e.end, e.anchorEnd ?? 0);
    if (reports.some((f) => f.span.start <= reach || /^\s*$/.test(input.text.slice(e.end, f.span.start)))) continue;
    const fail = (part: Part, detail: string) => failures.push({ part, key: keyOf(part, input, e), detail, statement: e });
    const found = recognised(unit, e);
    const what = `${e.kind} ${e.marker ?? ''} at ${e.start}-${e.end} (${JSON.stringify(input.text.slice(e.start, Math.min(e.end, e.start + 120)))})`;
    if (e.broken) {
      // Cut at a NUL, a broken statement can look whole: analysed as what it is not.
      if (found && e.features.some((f) => f.includes('nul'))) fail('dropped', `${what} does not parse but was analysed as the text before a NUL`);
      else if (found) fail('model', `the generator broke ${what} but it parsed`);
      else fail('dropped', `${what} does not parse and is not reported`);
      continue;
    }
    if (!found) {
      fail('dropped', `${what} is neither among the unit's statements nor reported`);
      continue;
    }
    const at = run.findings.filter((f) => !NOT_ANALYSED.has(f.ruleId) && !UNMODELLED.has(f.ruleId) && overlaps(f, e));
    const missing = e.expect.filter((r) => !at.some((f) => f.ruleId === r));
    if (missing.length) fail('missed', `${what} lacks ${missing.join(', ')} (has: ${at.map((f) => f.ruleId).join(', ') || 'none'})`);
    if (e.safe && at.length) fail('unexpected', `${what} is safe but has ${at.map((f) => f.ruleId).join(', ')}`);
  }
  return { ms, wallMs, failures, findings: run.findings };
}

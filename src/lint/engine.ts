/**
 * The lint engine: one file's text in, findings out. Builds the unit through its
 * frontend, runs the enabled rules, applies suppressions and configured severities.
 */
import type { Diagnostic, Finding, Severity, Span } from '../core/diagnostic.js';
import type { Rule, RuleContext } from '../core/rule.js';
import { SourceText } from '../core/source-text.js';
import type { MigrationUnit, Phase } from '../core/unit.js';
import type { Direction, ResolvedConfig } from '../config/index.js';
import { frontendFor, loadUnit, supportedExtensions } from '../sources/index.js';
import { ruleAppliesTo } from '../sources/registry.js';
import { applySuppressions, parseSuppressions, suppressionDiagnostics } from './suppressions.js';
import { partitionPoint } from '../core/search.js';
import { withFileMemo, type MemoStore } from '../core/file-memo.js';

/** Pseudo-rules the engine itself reports. */
export const SYNTAX_ERROR = 'syntax-error';
export const UNUSED_SUPPRESSION = 'unused-suppression';
/** A file, or the part of it from a location on, that was not analysed (see `UnanalysedFact`). */
export const UNANALYZABLE_FILE = 'unanalyzable-file';
/** A crash of miglint itself while analysing a file (exit code 2). */
export const INTERNAL_ERROR = 'internal-error';

/** What says a file was not (fully) analysed: never dropped by a direction filter. */
const NOT_ANALYSED = new Set([SYNTAX_ERROR, UNANALYZABLE_FILE, INTERNAL_ERROR]);

export interface LintRun {
  /** The unit the frontend built; null when no frontend reads the file's kind. */
  unit: MigrationUnit | null;
  source: SourceText;
  findings: Finding[];
}

export interface EngineOptions {
  rules: readonly Rule[];
  /** Only these rule ids run (`--rule`); all enabled rules when null. */
  only?: ReadonlySet<string> | null;
  /** The directions linted (`--directions`), over the configuration's `directions`; the configuration's when null or absent. */
  directions?: ReadonlySet<Direction> | null;
  /** The caches to keep from this lint for the next of the same document (`MemoStore`; the language server keeps one per document); fresh ones when absent. */
  memos?: MemoStore | null;
}

/** The severity a rule runs at under `config`, or 'off'. */
export function ruleSeverity(rule: Rule, config: ResolvedConfig): Severity | 'off' {
  const configured = config.rules[rule.meta.id]?.severity;
  if (configured === 'warn') return 'warning';
  if (configured) return configured;
  return rule.meta.recommended ? (rule.meta.defaultSeverity ?? 'error') : 'off';
}

/**
 * Places a diagnostic in a file with 1-based line/column (UTF-16 columns): a new object with the
 * diagnostic's own keys in their order, then `file`, `severity`, `line`, `column`, `endLine`,
 * `endColumn` (the order JSON output shows). Object.assign, not an object spread: the rules'
 * diagnostics come in many shapes, where V8's spread takes a generic path at about three times
 * the cost (13 ms of the 2,105-file SQL set's 10,881 findings).
 */
export function toFinding(file: string, source: SourceText, d: Diagnostic, severity: Severity): Finding {
  const start = source.positionAt(d.span.start);
  const end = source.positionAt(d.span.end);
  const f = Object.assign({}, d) as Finding;
  f.file = file;
  f.severity = severity;
  f.line = start.line;
  f.column = start.column;
  f.endLine = end.line;
  f.endColumn = end.column;
  return f;
}

/**
 * The `unanalyzable-file` finding of a file no frontend reads (`x.py`), at 1:1, or null
 * when some frontend reads it. A directory walk never lists such files; this is for one
 * named explicitly (or `--stdin-filename`).
 */
export function unsupportedFileFinding(file: string, source: SourceText): Finding | null {
  if (frontendFor(file) !== null) return null;
  const ext = /(\.[^./\\]+)$/.exec(file)?.[1];
  const what = ext ? `${ext} files` : 'files without an extension';
  const message = `Unsupported file type: miglint does not read ${what} (it reads ${supportedExtensions().join(', ')}); nothing in this file was analysed.`;
  const help = 'Lint the migrations of a kind miglint reads, or leave this file out (a directory walk skips such files).';
  return toFinding(file, source, { ruleId: UNANALYZABLE_FILE, message, help, span: { start: 0, end: 0 } }, 'error');
}

/**
 * The direction of the code at `span`: that of the innermost statement or phase region
 * (`MigrationUnit.phaseRegions`) holding its start, or null when none does (file-level).
 */
export function phaseAt(unit: MigrationUnit, span: Span): Phase | null {
  return phaseLocator(unit)(span);
}

/**
 * `phaseAt` for many spans of one unit: statements are indexed once (sorted by start, with
 * the largest end so far), so each lookup is a binary search plus a walk back over only the
 * statements that could still hold it, not a scan of the whole file.
 */
export function phaseLocator(unit: MigrationUnit): (span: Span) => Phase | null {
  const end = (s: Span) => Math.max(s.end, s.start + 1); // an empty span holds its own offset
  const statements = unit.statements.map((st) => ({ phase: st.phase, span: st.span })).sort((a, b) => a.span.start - b.span.start);
  const maxEnd: number[] = [];
  for (const [i, st] of statements.entries()) maxEnd.push(Math.max(end(st.span), i > 0 ? maxEnd[i - 1]! : 0));
  return (span) => {
    const at = span.start;
    let phase: Phase | null = null;
    let length = Infinity;
    const consider = (p: Phase, s: Span) => {
      if (s.start <= at && at < end(s) && s.end - s.start <= length) {
        phase = p;
        length = s.end - s.start;
      }
    };
    for (const r of unit.phaseRegions) consider(r.phase, r.span);
    // The last statement starting at or before `at`, then back while an earlier one may still reach it.
    const lo = partitionPoint(statements, (s) => s.span.start <= at);
    for (let i = lo - 1; i >= 0 && maxEnd[i]! > at; i--) consider(statements[i]!.phase, statements[i]!.span);
    return phase;
  };
}

/**
 * Lints one file's text. Bad input does not throw: a file that does not parse
 * yields `syntax-error` findings, what a frontend could not read is located, and a
 * file of a kind no frontend reads yields one `unanalyzable-file` finding.
 *
 * Findings inside the code of a direction not linted (`directions`, `--directions`)
 * are dropped after suppressions are applied (so a suppression used there is not
 * reported unused); findings that say something was not analysed are always kept.
 * @throws what a frontend or rule throws on a bug (`lintOne` reports it as `internal-error`).
 */
export function lintText(file: string, text: string, config: ResolvedConfig, options: EngineOptions): LintRun {
  // What the frontend and the rules cache about this file's objects goes with them (see `FileMemo`).
  return withFileMemo(() => lintTextNow(file, text, config, options), options.memos ?? null);
}

function lintTextNow(file: string, text: string, config: ResolvedConfig, options: EngineOptions): LintRun {
  const frontend = frontendFor(file);
  if (frontend === null) {
    const source = new SourceText(text);
    return { unit: null, source, findings: [unsupportedFileFinding(file, source)!] };
  }
  const unit = loadUnit(file, text, config.settings);
  const diagnostics: Diagnostic[] = unit.syntaxErrors.map((e) => ({
    ruleId: SYNTAX_ERROR,
    message: /^syntax error/i.test(e.message) ? `S${e.message.slice(1)}.` : `Syntax error: ${e.message}.`,
    help: e.language !== undefined && e.language !== 'sql' ? 'Fix the code: the migration cannot run like this, and what follows the error may not have been analysed.' : 'Fix the SQL; nothing else in this statement was checked.',
    span: { start: e.offset, end: Math.min(text.length, e.offset + 1) },
  }));
  for (const u of unit.unanalysed) {
    if (u.scope === 'file') diagnostics.push({ ruleId: UNANALYZABLE_FILE, message: u.message, ...(u.help ? { help: u.help } : {}), span: u.span, ...(u.related ? { related: u.related } : {}) });
  }

  const plan = rulePlan(config, options, frontend);
  const severities = plan.severities;
  const contexts = ruleContexts(plan, config);
  try {
    for (let i = 0; i < plan.run.length; i++) {
      // A loop, not push(...): a rule may report 100,000 findings on a large file, more arguments than a call takes.
      // Indexed, not for...of: the rules' arrays come in several element kinds, each a new iterator shape that
      // made V8 throw away and recompile this function.
      const step = plan.run[i]!;
      const found = step.check.call(step.rule, unit, contexts[i]!);
      for (let j = 0; j < found.length; j++) diagnostics.push(found[j]!);
    }
  } finally {
    // The fixes have their edits: what the frontend kept for them (a syntax tree) goes.
    unit.release?.();
  }

  const suppressions = parseSuppressions(unit, frontend.comments);
  const kept = applySuppressions(diagnostics, suppressions);
  if (!options.only) kept.push(...suppressionDiagnostics(suppressions, plan.known));

  const directions = options.directions ?? config.directions;
  const phaseOf = directions.has('up') && directions.has('down') ? null : phaseLocator(unit);
  const linted = (d: Diagnostic) => {
    if (!phaseOf || NOT_ANALYSED.has(d.ruleId)) return true;
    const phase = phaseOf(d.span);
    return phase !== 'up' && phase !== 'down' ? true : directions.has(phase);
  };

  const findings: Finding[] = [];
  for (const d of kept) if (linted(d)) findings.push(toFinding(file, unit.source, d, severities.get(d.ruleId) ?? 'error'));
  // Most files have one finding or none: nothing to order.
  if (findings.length > 1) findings.sort((a, b) => a.line - b.line || a.column - b.column || byCodeUnits(a.ruleId, b.ruleId));
  return { unit, source: unit.source, findings };
}

/** The rules a file runs, with their severities, and the ids a suppression may name. */
interface RulePlan {
  /**
   * `check` is the rule's own, read once: the rules are objects of many shapes, where reading
   * `rule.check` for every rule and file was a lookup V8 cannot cache (about 2 ms of 2,105 files).
   */
  run: { rule: Rule; sev: Severity; check: Rule['check'] }[];
  known: ReadonlySet<string>;
  /** Each rule's severity by id, and the engine's pseudo-rules': read only. */
  severities: ReadonlyMap<string, Severity>;
  /** The contexts the rules of `run` are given (by index), with the settings they were made with. */
  contexts: { settings: ResolvedConfig['settings']; list: RuleContext[] } | null;
}

/**
 * The context each rule of the plan is given under `config`: its options and the settings, made once
 * per plan and settings object (the files a configuration covers share both), not per rule and file.
 * Rules read their context, never change it.
 */
function ruleContexts(plan: RulePlan, config: ResolvedConfig): RuleContext[] {
  if (plan.contexts?.settings === config.settings) return plan.contexts.list;
  const list = plan.run.map(({ rule }) => ({ settings: config.settings, options: config.rules[rule.meta.id]?.options ?? {} }));
  plan.contexts = { settings: config.settings, list };
  return list;
}

/** The last plan made per configuration's rule settings, with what it was made for. */
const plans = new WeakMap<object, { rules: readonly Rule[]; only: ReadonlySet<string> | null | undefined; frontend: object; plan: RulePlan }>();

/**
 * The enabled rules that apply to `frontend`'s files, in order: made once per configuration's rule
 * settings (`config.rules`, shared by the files a configuration file covers), rule list, `only` and
 * frontend, not per file. A resolved configuration and the rule list are not changed once made.
 */
function rulePlan(config: ResolvedConfig, options: EngineOptions, frontend: NonNullable<ReturnType<typeof frontendFor>>): RulePlan {
  const kept = plans.get(config.rules);
  if (kept && kept.rules === options.rules && kept.only === options.only && kept.frontend === frontend) return kept.plan;
  const run: RulePlan['run'] = [];
  for (const rule of options.rules) {
    if (options.only && !options.only.has(rule.meta.id)) continue;
    const sev = ruleSeverity(rule, config);
    if (sev !== 'off' && ruleAppliesTo(rule.meta.appliesTo, frontend)) run.push({ rule, sev, check: rule.check });
  }
  // Pseudo-rules a comment may name too (a syntax error is never suppressed: see applySuppressions).
  const severities = new Map<string, Severity>([
    [SYNTAX_ERROR, 'error'],
    [UNANALYZABLE_FILE, 'error'],
    [UNUSED_SUPPRESSION, 'warning'],
  ]);
  for (const { rule, sev } of run) severities.set(rule.meta.id, sev);
  const plan: RulePlan = { run, known: new Set([...options.rules.map((r) => r.meta.id), UNANALYZABLE_FILE]), severities, contexts: null };
  plans.set(config.rules, { rules: options.rules, only: options.only, frontend, plan });
  return plan;
}

/**
 * Orders rule ids by their UTF-16 code units. Rule ids are lower-case ASCII letters, digits and
 * hyphens, where this is the order `localeCompare` gives, without the ICU collator whose set-up was
 * 7 ms of a one-file run.
 */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

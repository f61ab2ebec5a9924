/**
 * The lint engine: one file's text in, findings out. Builds the unit through its
 * frontend, runs the enabled rules, applies suppressions and configured severities.
 */
import type { Diagnostic, Finding, Severity } from '../core/diagnostic.js';
import type { Rule } from '../core/rule.js';
import type { SourceText } from '../core/source-text.js';
import type { MigrationUnit } from '../core/unit.js';
import type { ResolvedConfig } from '../config/index.js';
import { loadUnit } from '../sources/index.js';
import { applySuppressions, parseSuppressions, suppressionDiagnostics } from './suppressions.js';

/** Pseudo-rules the engine itself reports. */
export const SYNTAX_ERROR = 'syntax-error';
export const UNUSED_SUPPRESSION = 'unused-suppression';
/** A file, or the part of it from a location on, that was not analysed (see `UnanalysedFact`). */
export const UNANALYZABLE_FILE = 'unanalyzable-file';

export interface LintRun {
  unit: MigrationUnit;
  findings: Finding[];
}

export interface EngineOptions {
  rules: readonly Rule[];
  /** Only these rule ids run (`--rule`); all enabled rules when null. */
  only?: ReadonlySet<string> | null;
}

/** The severity a rule runs at under `config`, or 'off'. */
export function ruleSeverity(rule: Rule, config: ResolvedConfig): Severity | 'off' {
  const configured = config.rules[rule.meta.id]?.severity;
  if (configured === 'warn') return 'warning';
  if (configured) return configured;
  return rule.meta.recommended ? (rule.meta.defaultSeverity ?? 'error') : 'off';
}

/** Places a diagnostic in a file with 1-based line/column (UTF-16 columns). */
export function toFinding(file: string, source: SourceText, d: Diagnostic, severity: Severity): Finding {
  const start = source.positionAt(d.span.start);
  const end = source.positionAt(d.span.end);
  return { ...d, file, severity, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

/**
 * Lints one file's text. Bad input does not throw: a file that does not parse
 * yields `syntax-error` findings, and what a frontend could not read is located.
 * @throws what a frontend or rule throws on a bug (`lintOne` reports it as `internal-error`).
 */
export function lintText(file: string, text: string, config: ResolvedConfig, options: EngineOptions): LintRun {
  const unit = loadUnit(file, text, config.settings);
  const lang = unit.language === 'sql' ? 'sql' : 'ts';
  const severities = new Map<string, Severity>();
  const diagnostics: Diagnostic[] = unit.syntaxErrors.map((e) => ({
    ruleId: SYNTAX_ERROR,
    message: /^syntax error/i.test(e.message) ? `S${e.message.slice(1)}.` : `Syntax error: ${e.message}.`,
    help: e.language === 'script' ? 'Fix the code: the migration cannot run like this, and what follows the error may not have been analysed.' : 'Fix the SQL; nothing else in this statement was checked.',
    span: { start: e.offset, end: Math.min(text.length, e.offset + 1) },
  }));
  for (const u of unit.unanalysed) {
    if (u.scope === 'file') diagnostics.push({ ruleId: UNANALYZABLE_FILE, message: u.message, ...(u.help ? { help: u.help } : {}), span: u.span });
  }
  severities.set(SYNTAX_ERROR, 'error');
  severities.set(UNANALYZABLE_FILE, 'error');
  severities.set(UNUSED_SUPPRESSION, 'warning');

  const known = new Set(options.rules.map((r) => r.meta.id));
  for (const rule of options.rules) {
    if (options.only && !options.only.has(rule.meta.id)) continue;
    const sev = ruleSeverity(rule, config);
    if (sev === 'off' || !rule.meta.appliesTo.includes(lang)) continue;
    severities.set(rule.meta.id, sev);
    diagnostics.push(...rule.check(unit, { settings: config.settings, options: config.rules[rule.meta.id]?.options ?? {} }));
  }

  const suppressions = parseSuppressions(unit);
  const kept = applySuppressions(diagnostics, suppressions);
  if (!options.only) kept.push(...suppressionDiagnostics(suppressions, known));

  const findings = kept
    .map((d) => toFinding(file, unit.source, d, severities.get(d.ruleId) ?? 'error'))
    .sort((a, b) => a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
  return { unit, findings };
}

/**
 * Findings as LSP diagnostics. `Diagnostic.data` carries only what identifies the finding
 * (rule id, document version, index in that version's findings): a code action takes the fix
 * from the findings the server keeps for the version, so no second lint and no fix edits sent
 * on every re-lint (they were a third of the JSON of a large file's diagnostics).
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type TextEdit } from 'vscode-languageserver';
import type { Finding } from '../core/diagnostic.js';
import { ruleDocsUrl } from '../core/rule.js';
import type { SourceText } from '../core/source-text.js';
import { rulesById } from '../../rules/index.js';
import { toLspRange, type PositionEncoding } from './positions.js';

/** One lint of one document version. */
export interface LintedDocument {
  uri: string;
  version: number;
  /** The file path the configuration was found for. */
  path: string;
  text: string;
  source: SourceText;
  encoding: PositionEncoding;
  findings: Finding[];
  diagnostics: LspDiagnostic[];
}

/** What `Diagnostic.data` carries: which finding of which lint the diagnostic stands for. */
export interface DiagnosticData {
  ruleId: string;
  /** The document version that was linted. */
  version: number;
  /** The finding's index in that lint's `LintedDocument.findings`. */
  index: number;
}

/**
 * An LSP diagnostic for `findings[index]`: code = rule id, the rule's doc as `codeDescription`,
 * the finding's identity (not its fix) in `data`.
 */
export function toLspDiagnostic(f: Finding, index: number, source: SourceText, encoding: PositionEncoding, version: number, uri: string): LspDiagnostic {
  const data: DiagnosticData = { ruleId: f.ruleId, version, index };
  const message = [f.message, f.note, f.help && `help: ${f.help}`, f.fix?.applicability === 'display-only' && `suggestion: ${f.fix.title}`].filter(Boolean).join('\n');
  return {
    range: toLspRange(source, f.span, encoding),
    severity: f.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: f.ruleId,
    ...(rulesById.has(f.ruleId) ? { codeDescription: { href: ruleDocsUrl(f.ruleId) } } : {}),
    source: 'miglint',
    message,
    ...(f.related?.length ? { relatedInformation: f.related.map((r) => ({ location: { uri, range: toLspRange(source, r.span, encoding) }, message: r.message })) } : {}),
    data,
  };
}

/**
 * A finding's fix as LSP text edits against the source it was found in (ranges in `encoding`),
 * or null for no fix or a display-only one.
 */
export function lspFixEdits(f: Finding, source: SourceText, encoding: PositionEncoding): TextEdit[] | null {
  if (!f.fix || f.fix.applicability === 'display-only') return null;
  return f.fix.edits.map((e) => ({ range: toLspRange(source, e, encoding), newText: e.text }));
}

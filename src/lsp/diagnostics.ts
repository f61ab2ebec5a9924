/**
 * Findings as LSP diagnostics. A finding's fix travels in `Diagnostic.data` (edits as
 * LSP text edits against the linted version), so a code action needs no second lint.
 */
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type TextEdit } from 'vscode-languageserver';
import type { Applicability, Finding } from '../core/diagnostic.js';
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

/** What `Diagnostic.data` carries. */
export interface DiagnosticData {
  ruleId: string;
  /** The document version the edits apply to. */
  version: number;
  fix?: { title: string; applicability: Exclude<Applicability, 'display-only'>; edits: TextEdit[] };
}

/** An LSP diagnostic for a finding: code = rule id, the rule's doc as `codeDescription`, the fix in `data`. */
export function toLspDiagnostic(f: Finding, source: SourceText, encoding: PositionEncoding, version: number, uri: string): LspDiagnostic {
  const data: DiagnosticData = { ruleId: f.ruleId, version };
  if (f.fix && f.fix.applicability !== 'display-only') {
    data.fix = {
      title: f.fix.title,
      applicability: f.fix.applicability,
      edits: f.fix.edits.map((e) => ({ range: toLspRange(source, e, encoding), newText: e.text })),
    };
  }
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

/**
 * Code actions of the language server:
 * - the finding's fix (safe fixes preferred, unsafe ones labelled so);
 * - "ignore <rule> for this statement" / "for this file": a `miglint-ignore` comment in
 *   the file's comment syntax, placed where a re-lint shows it suppresses exactly that
 *   finding (a comment line inside a multi-line SQL string would be SQL, not a comment);
 * - "show documentation" (a `window/showDocument` of the rule's doc);
 * - `source.fixAll.miglint`: every safe fix, as `miglint --fix` applies them.
 */
import {
  CodeActionKind,
  type CodeAction,
  type CodeActionParams,
  type Diagnostic as LspDiagnostic,
  type TextEdit,
} from 'vscode-languageserver';
import type { Finding } from '../core/diagnostic.js';
import type { ConfigLoader, ResolvedConfig } from '../config/index.js';
import { fixText } from '../lint/fix.js';
import { configForFile, lintWithConfig, newRunResult, type RunOptions } from '../lint/run.js';
import { frontendFor } from '../sources/index.js';
import { ruleDocsUrl } from '../core/rule.js';
import { rulesById } from '../../rules/index.js';
import { lspFixEdits, type DiagnosticData, type LintedDocument } from './diagnostics.js';
import { SHOW_DOCS_COMMAND } from './commands.js';
import { toLspRange } from './positions.js';

export const FIX_ALL_KIND = `${CodeActionKind.SourceFixAll}.miglint`;

/** How many lines above a finding a statement-level suppression comment is tried at. */
const MAX_SUPPRESSION_LINES_UP = 12;

export interface ActionContext {
  loader: ConfigLoader;
  runOptions: RunOptions;
}

/** The code actions for the diagnostics in `params.context` (or the fix-all action when asked for). */
export async function codeActions(linted: LintedDocument, params: CodeActionParams, ctx: ActionContext): Promise<CodeAction[]> {
  const only = params.context.only;
  const wants = (kind: string) => !only || only.some((k) => kind === k || kind.startsWith(`${k}.`));
  const out: CodeAction[] = [];
  // Resolved once: the suppression candidates and fix-all re-lint the same file.
  let config: ResolvedConfig | null = null;
  const configOnce = async () => (config ??= await configForFile(linted.path, ctx.loader));
  if (wants(CodeActionKind.QuickFix)) {
    for (const d of params.context.diagnostics) {
      const data = d.data as DiagnosticData | undefined;
      if (d.source !== 'miglint' || !data || data.version !== linted.version) continue; // stale or another tool's
      const finding = findingOf(linted, d, data);
      if (!finding) continue;
      const edits = lspFixEdits(finding, linted.source, linted.encoding);
      if (finding.fix && edits) {
        const unsafe = finding.fix.applicability === 'unsafe';
        out.push({
          title: unsafe ? `Fix (unsafe, changes behaviour beyond the rule): ${finding.fix.title}` : `Fix: ${finding.fix.title}`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: !unsafe,
          edit: { changes: { [linted.uri]: edits } },
        });
      }
      if (rulesById.has(data.ruleId)) {
        for (const fileLevel of [false, true]) {
          const edit = await suppressionEdit(linted, finding, fileLevel, await configOnce(), ctx);
          if (edit) {
            out.push({
              title: `Ignore ${data.ruleId} ${fileLevel ? 'for this file' : 'for this statement'}`,
              kind: CodeActionKind.QuickFix,
              diagnostics: [d],
              edit: { changes: { [linted.uri]: [edit] } },
            });
          }
        }
        out.push({ title: `Show documentation for ${data.ruleId}`, kind: CodeActionKind.QuickFix, diagnostics: [d], command: { title: 'Show documentation', command: SHOW_DOCS_COMMAND, arguments: [ruleDocsUrl(data.ruleId)] } });
      }
    }
  }
  // Fix-all rewrites the whole document: only offered when a source action is asked for.
  if (only?.some((k) => FIX_ALL_KIND === k || FIX_ALL_KIND.startsWith(`${k}.`))) {
    const edit = await fixAllEdit(linted, await configOnce(), ctx);
    if (edit) out.push({ title: 'Fix all safe miglint findings', kind: FIX_ALL_KIND, edit: { changes: { [linted.uri]: [edit] } } });
  }
  return out;
}

/**
 * The finding a diagnostic of `linted`'s version stands for: `data.index`, when that finding has
 * the diagnostic's rule and range (anything else is a diagnostic not made by this lint, e.g. of
 * a document closed and reopened at the same version: no finding, so no action).
 */
function findingOf(linted: LintedDocument, d: LspDiagnostic, data: DiagnosticData): Finding | undefined {
  const f = Number.isInteger(data.index) ? linted.findings[data.index] : undefined;
  if (!f || f.ruleId !== data.ruleId) return undefined;
  const r = toLspRange(linted.source, f.span, linted.encoding);
  return r.start.line === d.range.start.line && r.start.character === d.range.start.character && r.end.line === d.range.end.line && r.end.character === d.range.end.character ? f : undefined;
}

/**
 * A comment that suppresses `finding`: for a statement, on the first line at or above the
 * finding where it works; for the file, at its top (after a `#!` line). Each candidate is
 * re-linted: it must remove this finding (file: every finding of the rule) and change
 * nothing else. Null when no place works.
 */
async function suppressionEdit(linted: LintedDocument, finding: Finding, fileLevel: boolean, config: ResolvedConfig, ctx: ActionContext): Promise<TextEdit | null> {
  // The language's own preferred line comment (a linted document always has a frontend).
  const prefix = frontendFor(linted.path)?.comments.line[0] ?? '--';
  const { source } = linted;
  const key = (f: Finding) => `${f.ruleId}\u0000${f.message}`;
  const others = linted.findings.filter((f) => (fileLevel ? f.ruleId !== finding.ruleId : f !== finding)).map(key).sort();
  const lines = fileLevel ? [source.lineText(1).startsWith('#!') && source.lineCount > 1 ? 2 : 1] : range(finding.line, Math.max(1, finding.line - MAX_SUPPRESSION_LINES_UP));
  for (const line of lines) {
    const indent = fileLevel ? '' : /^[ \t]*/.exec(source.lineText(line))![0];
    const comment = `${indent}${prefix} miglint-ignore${fileLevel ? '-file' : ''} ${finding.ruleId}${source.eol}`;
    const at = source.offsetAt({ line, column: 1 });
    const candidate = linted.text.slice(0, at) + comment + linted.text.slice(at);
    const { findings } = await lintWithConfig(linted.path, candidate, config, ctx.runOptions, newRunResult());
    const after = findings.map(key).sort();
    if (after.length === others.length && after.every((k, i) => k === others[i])) {
      const pos = toLspRange(source, { start: at, end: at }, linted.encoding);
      return { range: pos, newText: comment };
    }
  }
  return null;
}

/** The whole-document edit that applies every safe fix (as `miglint --fix`), or null when there is none. */
async function fixAllEdit(linted: LintedDocument, config: ResolvedConfig, ctx: ActionContext): Promise<TextEdit | null> {
  const fixed = fixText(linted.path, linted.text, config, { rules: ctx.runOptions.rules, only: null, unsafe: false, fixOnly: null });
  if (fixed.error || fixed.output === linted.text) return null;
  return { range: toLspRange(linted.source, { start: 0, end: linted.text.length }, linted.encoding), newText: fixed.output };
}

/** `from, from-1, ..., to` (from >= to). */
function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i >= to; i--) out.push(i);
  return out;
}

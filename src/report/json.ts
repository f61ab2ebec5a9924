/**
 * ESLint's JSON format, so existing tooling reads it: an array of
 * `{ filePath, messages: [{ ruleId, severity, message, line, column, endLine, endColumn }], errorCount, warningCount, ... }`,
 * 1-based lines and columns in UTF-16 code units. A fix keeps ESLint's `{ range, text }`
 * (all edits merged into one) and adds `title`, `applicability` and each edit.
 */
import type { Edit, Finding } from '../core/diagnostic.js';
import { isAutoFix, wholeReport, type FileReport, type Reporter, type StreamReporter } from './types.js';

function merge(text: string, edits: Edit[]): { range: [number, number]; text: string } {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const start = sorted[0]!.start;
  const end = Math.max(...sorted.map((e) => e.end));
  let out = '';
  let at = start;
  for (const e of sorted) {
    out += text.slice(at, e.start) + e.text;
    at = Math.max(at, e.end);
  }
  return { range: [start, end], text: out + text.slice(at, end) };
}

function message(f: Finding, text: string) {
  return {
    ruleId: f.ruleId,
    severity: f.severity === 'error' ? 2 : 1,
    message: f.message,
    line: f.line,
    column: f.column,
    endLine: f.endLine,
    endColumn: f.endColumn,
    ...(f.note ? { note: f.note } : {}),
    ...(f.help ? { help: f.help } : {}),
    ...(f.fix && isAutoFix(f)
      ? { fix: { ...merge(text, f.fix.edits), title: f.fix.title, applicability: f.fix.applicability, edits: f.fix.edits.map((e) => ({ range: [e.start, e.end], text: e.text })) } }
      : {}),
    ...(f.fix && !isAutoFix(f) ? { suggestions: [{ desc: f.fix.title, applicability: f.fix.applicability }] } : {}),
  };
}

function fileEntry(file: FileReport) {
  const errors = file.findings.filter((f) => f.severity === 'error');
  const warnings = file.findings.filter((f) => f.severity === 'warning');
  return {
    filePath: file.path,
    messages: file.findings.map((f) => message(f, file.source.text)),
    errorCount: errors.length,
    warningCount: warnings.length,
    fatalErrorCount: file.findings.filter((f) => f.ruleId === 'syntax-error').length,
    fixableErrorCount: errors.filter((f) => f.fix?.applicability === 'safe' && f.fix.edits.length > 0).length,
    fixableWarningCount: warnings.filter((f) => f.fix?.applicability === 'safe' && f.fix.edits.length > 0).length,
  };
}

/**
 * A JSON array written one element at a time, as `JSON.stringify(elements, null, 2)` would write
 * it: each element indented by two spaces (a newline inside a JSON text is always layout, strings
 * escape theirs). `add` returns an element's text, `close` the closing bracket (`[]` when empty).
 */
export function jsonArrayWriter(): { add(value: unknown): string; close(): string } {
  let count = 0;
  return {
    add(value) {
      // The element as the one element of an array: `[` newline, the element indented by two, newline `]`
      // (no second pass over the text to indent it).
      const text = JSON.stringify([value], null, 2);
      return `${count++ === 0 ? '[' : ','}${text.slice(1, -2)}`;
    },
    close() {
      return count === 0 ? '[]\n' : '\n]\n';
    },
  };
}

/** ESLint's array, one file's entry at a time; a run that stops early still closes it, so the output stays one JSON document. */
export const jsonStream: StreamReporter = () => {
  const array = jsonArrayWriter();
  return { file: (file) => array.add(fileEntry(file)), end: () => array.close() };
};

/** `jsonStream` as a whole report. */
export const json: Reporter = wholeReport(jsonStream);

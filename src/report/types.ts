import type { Finding } from '../core/diagnostic.js';
import type { SourceText } from '../core/source-text.js';

/** One linted file as reporters see it. */
export interface FileReport {
  /** Absolute path. */
  path: string;
  /** Path relative to the working directory, with `/` separators, for display. */
  displayPath: string;
  source: SourceText;
  findings: Finding[];
}

/** Rule metadata reporters need (SARIF's rule table, docs links). */
export interface RuleInfo {
  id: string;
  description: string;
  docsUrl: string;
}

export interface ReportContext {
  rules: RuleInfo[];
  /** Fixes were just applied with --fix; counts of what is left describe the rest. */
  fixedCount?: number;
  /** Force colours on or off; by default chalk decides (NO_COLOR, FORCE_COLOR, TTY). */
  color?: boolean;
  /** miglint's version, for SARIF's tool driver. */
  version?: string;
}

/** A whole report at once: every linted file's report, in the run's order. */
export type Reporter = (files: FileReport[], context: ReportContext) => string;

/** How a run ended, for the end of a streamed report. */
export interface ReportEnd {
  /** Fixes applied with --fix (the whole run's count; `ReportContext.fixedCount` of a whole report). */
  fixedCount: number;
  /**
   * Every file was linted and given to `file`. False when the run stopped early (a configuration error
   * under one folder): the end then only closes what a format needs closed (JSON's array), with no summary.
   */
  complete: boolean;
}

/**
 * A report written as the run goes: `file` is called once per linted file, in the run's order, and
 * returns that file's part of the output; `end` returns the rest (the summary, a closing bracket).
 * The parts joined are the same text as the format's whole `Reporter` gives, and a file's report
 * can be dropped once given, so a run's memory does not grow with its findings.
 */
export interface ReportWriter {
  file(report: FileReport): string;
  end(how: ReportEnd): string;
}

/** Makes a `ReportWriter` for one run (`fixedCount` in the context is ignored: `ReportEnd` has it). */
export type StreamReporter = (context: ReportContext) => ReportWriter;

/** The whole-report form of a streamed format: the same text, all at once. */
export function wholeReport(stream: StreamReporter): Reporter {
  return (files, context) => {
    const w = stream(context);
    let out = '';
    for (const f of files) out += w.file(f);
    return out + w.end({ fixedCount: context.fixedCount ?? 0, complete: true });
  };
}

/**
 * A format that needs every file before it writes anything (SARIF's rule table, a single JSON
 * document) as a `ReportWriter`: it keeps the reports and writes the whole report at the end;
 * nothing when the run stopped early, as before streaming.
 */
export function collectedReport(reporter: Reporter): StreamReporter {
  return (context) => {
    const files: FileReport[] = [];
    return {
      file(report) {
        files.push(report);
        return '';
      },
      end(how) {
        return how.complete ? reporter(files, { ...context, fixedCount: how.fixedCount }) : '';
      },
    };
  };
}

/** The ESLint-style fix of a finding, when it has edits and applies automatically. */
export function isAutoFix(f: Finding): boolean {
  return !!f.fix && f.fix.edits.length > 0 && f.fix.applicability !== 'display-only';
}

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

export type Reporter = (files: FileReport[], context: ReportContext) => string;

/** The ESLint-style fix of a finding, when it has edits and applies automatically. */
export function isAutoFix(f: Finding): boolean {
  return !!f.fix && f.fix.edits.length > 0 && f.fix.applicability !== 'display-only';
}

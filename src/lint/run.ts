/**
 * Lints (and optionally fixes) a set of files: the orchestration under the CLI,
 * also usable as a library.
 */
import { writeFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { Finding } from '../core/diagnostic.js';
import type { MigrationUnit } from '../core/unit.js';
import type { Rule } from '../core/rule.js';
import { SourceText } from '../core/source-text.js';
import type { ConfigLoader, Direction, ResolvedConfig } from '../config/index.js';
import type { FileReport } from '../report/types.js';
import { frontendFor, prepareFrontends } from '../sources/index.js';
import { withParseMemo, type ParseMemo } from '../sql/parse.js';
import { readRunnerMetadata } from '../sources/runner-metadata.js';
import { withScriptTrees, type ScriptTrees } from '../sources/typescript/script-trees.js';
import { RunnerDetector } from '../sources/runner-detect.js';
import { INTERNAL_ERROR, lintText, toFinding, UNANALYZABLE_FILE, unsupportedFileFinding } from './engine.js';
import { fixText } from './fix.js';
import { readSource, type InvalidUtf8, type SourceRead } from './read.js';
import { ReadAhead } from './read-ahead.js';
import type { MemoStore } from '../core/file-memo.js';

export interface RunOptions {
  cwd: string;
  rules: readonly Rule[];
  only: ReadonlySet<string> | null;
  fix: 'off' | 'write' | 'dry-run';
  unsafeFixes: boolean;
  /** Rule ids whose fixes apply (`--fix-type`); all when null. */
  fixOnly?: ReadonlySet<string> | null;
  /** The directions linted (`--directions`), over each file's configuration; the configuration's when null or absent. */
  directions?: ReadonlySet<Direction> | null;
  /** Receives `--debug` lines: files not read, and why. */
  debug?: ((message: string) => void) | null;
  /**
   * Worker threads for `runFiles` (see `lint/pool.ts`): a number forces that many (0, the default:
   * none, all on the calling thread); `'auto'` uses them when the files are enough to pay for them,
   * as many as the machine has cores. Workers lint with the built-in rules (`rules` must be those)
   * and never with `fix: 'write'` or `debug`.
   */
  workers?: number | 'auto';
  /** Earlier SQL parses to reuse, by text (`withParseMemo`; the language server keeps one per open document). */
  parseMemo?: ParseMemo | null;
  /** The document's last TypeScript/JavaScript tree, to parse its next text incrementally (`withScriptTrees`; the language server keeps one per open document). */
  scriptTrees?: ScriptTrees | null;
  /** What the analysis worked out about the document's objects, kept for its next lint (`MemoStore`; the language server keeps one per open document). */
  memos?: MemoStore | null;
  /** Files that discovery has just found regular (`DiscoverOptions.regular`): read without a second stat first. */
  seenRegular?: ReadonlySet<string> | null;
}

export interface RunResult {
  files: FileReport[];
  /** Unified diffs of what `--fix-dry-run` would change. */
  diffs: string[];
  fixedCount: number;
  /** Fixes refused (non-convergence, output that would not parse), per file. */
  fixErrors: { file: string; message: string }[];
  /** Files whose analysis crashed: an internal error (exit code 2). */
  internalErrors: number;
}

/** An empty result to collect into. */
export function newRunResult(): RunResult {
  return { files: [], diffs: [], fixedCount: 0, fixErrors: [], internalErrors: 0 };
}

/**
 * `file` as shown in reports: relative to `cwd` with `/` separators when it is below it, else as it is.
 * A normalised path below `cwd` is cut without `path.relative`, which resolves both paths again
 * (about 10 us a file, for every file of a run).
 */
export function displayPath(cwd: string, file: string): string {
  if (sep === '/' && cwd.length > 1) {
    if (file.length > cwd.length + 1 && file.startsWith(cwd) && file[cwd.length] === '/') {
      const rel = file.slice(cwd.length + 1);
      if (!NOT_NORMAL.test(rel) && !rel.startsWith('..')) return rel;
    } else if (file !== cwd && isNormalAbsolute(file) && isNormalAbsolute(cwd)) {
      // Not below `cwd` (a benchmark's or a CI job's absolute paths elsewhere): path.relative would start with '..'.
      return file;
    }
  }
  const rel = relative(cwd, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

/** A `.` or `..` segment, an empty one (`//`, or a leading `/`) or a trailing `/`: what `path.relative` would normalise away. */
const NOT_NORMAL = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\/|\/$/;

/** An absolute POSIX path that `path.relative` would not normalise (no `.`, `..` or empty segment, no trailing `/`). */
const isNormalAbsolute = (p: string) => p.charCodeAt(0) === 47 /* / */ && !NOT_NORMAL.test(p.slice(1));

/** One runner detector per configuration loader: folder listings are read once per run (or editor session). */
const detectors = new WeakMap<ConfigLoader, RunnerDetector>();

/** The configuration for one file, with what the project's files say about its runner (see `readRunnerMetadata`). */
export async function configForFile(file: string, loader: ConfigLoader): Promise<ResolvedConfig> {
  const resolved = await loader.forFile(file);
  let detector = detectors.get(loader);
  if (!detector) detectors.set(loader, (detector = new RunnerDetector(process.cwd(), (dir) => loader.listDir(dir))));
  const runnerMetadata = await readRunnerMetadata(file, resolved.settings, detector);
  return runnerMetadata ? { ...resolved, settings: { ...resolved.settings, runnerMetadata } } : resolved;
}

/** Lints one text (from a file or stdin), applying fixes first when asked. */
export async function lintOne(file: string, text: string, loader: ConfigLoader, options: RunOptions, result: RunResult): Promise<{ text: string; source: SourceText; findings: Finding[] }> {
  const config = await configForFile(file, loader);
  const r = await lintWithConfig(file, text, config, options, result);
  if (options.debug && r.unit !== undefined) {
    const { explainUnit, debugLine } = await import('./explain.js');
    options.debug(debugLine(explainUnit(file, r.unit, config, options.cwd)));
  }
  return r;
}

/** `lintOne` with the file's configuration (`configForFile`) already resolved, for callers that lint one file many times. */
export async function lintWithConfig(file: string, text: string, config: ResolvedConfig, options: RunOptions, result: RunResult): Promise<{ text: string; source: SourceText; findings: Finding[]; unit?: MigrationUnit | null }> {
  const engine = { rules: options.rules, only: options.only, directions: options.directions ?? null, memos: options.memos ?? null };
  let current = text;
  try {
    if (options.fix !== 'off') {
      const fixed = fixText(file, text, config, { ...engine, unsafe: options.unsafeFixes, fixOnly: options.fixOnly ?? null });
      if (fixed.error) result.fixErrors.push({ file, message: fixed.error });
      if (fixed.output !== text) {
        result.fixedCount += fixed.applied;
        if (options.fix === 'dry-run') {
          const name = displayPath(options.cwd, file);
          const { createTwoFilesPatch } = await import('diff');
          result.diffs.push(createTwoFilesPatch(`a/${name}`, `b/${name}`, text, fixed.output, '', '', { context: 3 }));
        } else {
          current = fixed.output;
        }
      }
    }
    const run = withScriptTrees(options.scriptTrees ?? null, () => withParseMemo(options.parseMemo ?? null, () => lintText(file, current, config, engine)));
    return { text: current, source: run.source, findings: run.findings, unit: run.unit };
  } catch (e) {
    result.internalErrors++;
    const source = new SourceText(current);
    const message = `Internal error while analysing this file: ${(e as Error).message ?? String(e)}. Please report it with the file.`;
    return { text: current, source, findings: [toFinding(file, source, { ruleId: INTERNAL_ERROR, message, span: { start: 0, end: 0 } }, 'error')] };
  }
}

/** The `unanalyzable-file` finding of ill-formed UTF-8, at its first ill-formed sequence. */
function invalidUtf8Finding(file: string, source: SourceText, bad: InvalidUtf8): Finding {
  const message = `Invalid UTF-8: ${bad.bytes} (byte ${bad.byteOffset} of the file) is not a UTF-8 sequence; miglint read each ill-formed sequence as U+FFFD, analysed the rest of the file, and applies no fix to it.`;
  const note = frontendFor(file)?.invalidUtf8Note ?? 'The program that runs the migration may read these bytes otherwise than miglint did, so the SQL it sends may differ from what the file seems to say.';
  return toFinding(file, source, { ruleId: UNANALYZABLE_FILE, message, note, help: 'Save the file as UTF-8 (it may be in another encoding, such as Latin-1).', span: { start: bad.offset, end: bad.offset + 1 } }, 'error');
}

/**
 * Lints one file (or standard input standing for `file`) as far as it can be read:
 * a kind no frontend reads is not read at all, and `read(maxBytes)` (given the file's
 * `maxFileSize`) may refuse it (not a regular file, too large); each is one
 * `unanalyzable-file` finding at 1:1. Ill-formed UTF-8 is analysed with U+FFFD and
 * reported where it starts; such a file gets no fix (writing it back would change its bytes).
 * @returns the file's report and, when fixes changed it and it is to be written, the new text.
 * @throws ConfigError when the file's configuration is invalid.
 */
export async function lintSource(file: string, read: (maxBytes: number) => Promise<SourceRead>, loader: ConfigLoader, options: RunOptions, result: RunResult): Promise<{ report: FileReport; write: string | null }> {
  const name = displayPath(options.cwd, file);
  const report = (source: SourceText, findings: Finding[]): FileReport => ({ path: file, displayPath: name, source, findings });
  const empty = new SourceText('');
  const unsupported = unsupportedFileFinding(file, empty);
  if (unsupported) {
    options.debug?.(`${name}: not read: no frontend reads this kind of file`);
    return { report: report(empty, [unsupported]), write: null };
  }
  const config = await loader.forFile(file);
  const got = await read(config.maxFileSize);
  if (!got.ok) {
    options.debug?.(`${name}: not read: ${got.message}`);
    return { report: report(empty, [toFinding(file, empty, { ruleId: UNANALYZABLE_FILE, message: got.message, help: got.help, span: { start: 0, end: 0 } }, 'error')]), write: null };
  }
  const opts = got.invalidUtf8 ? { ...options, fix: 'off' as const } : options;
  const r = await lintOne(file, got.text, loader, opts, result);
  if (!got.invalidUtf8) return { report: report(r.source, r.findings), write: r.text !== got.text ? r.text : null };
  // No fix is applied to the file, so each is shown as advice only.
  const advice = r.findings.map((f) => (f.fix ? { ...f, fix: { ...f.fix, applicability: 'display-only' as const } } : f));
  const findings = [invalidUtf8Finding(file, r.source, got.invalidUtf8), ...advice].sort((a, b) => a.line - b.line || a.column - b.column);
  return { report: report(r.source, findings), write: null };
}

/**
 * Lints every file (see `lintSource`: what cannot be read is a finding); with `fix: 'write'`,
 * writes fixed files back (only when they parse). Many files may be linted on worker threads
 * (`RunOptions.workers`), with the same result.
 *
 * With `onReport`, each file's report goes to it as soon as the file is linted, in the order of
 * `files`, and is not kept in the result (`RunResult.files` stays empty): a reporter can write it
 * and let it go, so memory does not grow with the run's findings.
 * @throws ConfigError when a file's configuration is invalid (the files before it have been reported).
 */
export async function runFiles(files: string[], loader: ConfigLoader, options: RunOptions, onReport?: (report: FileReport) => void): Promise<RunResult> {
  if (options.workers) {
    const pool = await import('./pool.js');
    const size = pool.poolSize(files, options);
    if (size > 0) {
      const pooled = await pool.runFilesInPool(files, loader, options, size);
      if (onReport) {
        for (const report of pooled.files) onReport(report);
        pooled.files = [];
      }
      return pooled;
    }
  }
  await prepareFrontends(files);
  const result = newRunResult();
  // Not with fixes written: a fix written to one path must be what a later path to the same file (a hard link) reads.
  const ahead = options.fix === 'write' ? null : new ReadAhead(files, loader, options.seenRegular ?? null);
  for (const [index, file] of files.entries()) {
    const read = ahead ? (max: number) => ahead.read(index, max) : (max: number) => readSource(file, max, options.seenRegular?.has(file) ?? false);
    const { report, write } = await lintSource(file, read, loader, options, result);
    if (write !== null) await writeFile(file, write, 'utf8');
    if (onReport) onReport(report);
    else result.files.push(report);
  }
  return result;
}

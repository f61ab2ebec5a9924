/**
 * Lints (and optionally fixes) a set of files: the orchestration under the CLI,
 * also usable as a library.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import type { Finding } from '../core/diagnostic.js';
import type { Rule } from '../core/rule.js';
import { SourceText } from '../core/source-text.js';
import type { ConfigLoader, ResolvedConfig } from '../config/index.js';
import type { FileReport } from '../report/types.js';
import { prepareFrontends } from '../sources/index.js';
import { readRunnerMetadata } from '../sources/runner-metadata.js';
import { lintText, toFinding } from './engine.js';
import { fixText } from './fix.js';

export interface RunOptions {
  cwd: string;
  rules: readonly Rule[];
  only: ReadonlySet<string> | null;
  fix: 'off' | 'write' | 'dry-run';
  unsafeFixes: boolean;
  /** Rule ids whose fixes apply (`--fix-type`); all when null. */
  fixOnly?: ReadonlySet<string> | null;
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

export function displayPath(cwd: string, file: string): string {
  const rel = relative(cwd, file);
  return (rel.startsWith('..') ? file : rel).split(sep).join('/');
}

/** The configuration for one file, with what its runner's own files beside it say (see `readRunnerMetadata`). */
export async function configForFile(file: string, loader: ConfigLoader): Promise<ResolvedConfig> {
  const resolved = await loader.forFile(file);
  const runnerMetadata = await readRunnerMetadata(file, resolved.settings);
  return runnerMetadata ? { ...resolved, settings: { ...resolved.settings, runnerMetadata } } : resolved;
}

/** Lints one text (from a file or stdin), applying fixes first when asked. */
export async function lintOne(file: string, text: string, loader: ConfigLoader, options: RunOptions, result: RunResult): Promise<{ text: string; source: SourceText; findings: Finding[] }> {
  const config = await configForFile(file, loader);
  const engine = { rules: options.rules, only: options.only };
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
    const run = lintText(file, current, config, engine);
    return { text: current, source: run.unit.source, findings: run.findings };
  } catch (e) {
    result.internalErrors++;
    const source = new SourceText(current);
    const message = `Internal error while analysing this file: ${(e as Error).message ?? String(e)}. Please report it with the file.`;
    return { text: current, source, findings: [toFinding(file, source, { ruleId: 'internal-error', message, span: { start: 0, end: 0 } }, 'error')] };
  }
}

/** Lints every file; with `fix: 'write'`, writes fixed files back (only when they parse). */
export async function runFiles(files: string[], loader: ConfigLoader, options: RunOptions): Promise<RunResult> {
  await prepareFrontends(files);
  const result = newRunResult();
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const { text: after, source, findings } = await lintOne(file, text, loader, options, result);
    if (options.fix === 'write' && after !== text) await writeFile(file, after, 'utf8');
    result.files.push({ path: file, displayPath: displayPath(options.cwd, file), source, findings });
  }
  return result;
}

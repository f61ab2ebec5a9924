/**
 * Baselines, for adopting miglint on a project with many old migrations:
 * `--write-baseline <file>` records today's findings; `--baseline <file>` then reports
 * only findings not in it, and says how many of its entries no longer match anything
 * (fixed or deleted), so the file can shrink as the team fixes them.
 *
 * An entry is identified by its rule, its file and a fingerprint of the finding's
 * statement text (whitespace collapsed), not by line numbers: edits elsewhere in the file
 * keep it matched. Identical statements in one file are matched by count. An entry whose
 * file is no longer linted under that path (a renamed or moved migration) still matches the
 * same rule and statement in a file that has no entries of its own.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Finding } from '../core/diagnostic.js';
import type { FileReport } from '../report/types.js';
import { UsageError } from './discover.js';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  /** The file as displayed (relative to the working directory, `/` separators). */
  file: string;
  ruleId: string;
  /** sha256 (hex, first 16 characters) of the rule id and the finding's normalised text. */
  fingerprint: string;
  /** The finding's message when recorded, for people reading the file. */
  message: string;
}

export interface Baseline {
  version: number;
  entries: BaselineEntry[];
}

export interface BaselineResult {
  /** The files with baseline findings removed. */
  files: FileReport[];
  /** Findings the baseline hid. */
  suppressed: number;
  /** Baseline entries that matched no finding. */
  unmatched: number;
}

/** The fingerprint of a finding: its rule and its text with whitespace collapsed (line numbers play no part). */
export function fingerprint(f: Finding, text: string): string {
  const body = text.slice(f.span.start, f.span.end).replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(`${f.ruleId}\u0000${body || f.message}`).digest('hex').slice(0, 16);
}

/** The baseline of a run's findings, sorted by file, rule and fingerprint. */
export function buildBaseline(files: FileReport[]): Baseline {
  const entries = files.flatMap((file) => file.findings.map((f) => ({ file: file.displayPath, ruleId: f.ruleId, fingerprint: fingerprint(f, file.source.text), message: f.message })));
  entries.sort((a, b) => a.file.localeCompare(b.file) || a.ruleId.localeCompare(b.ruleId) || a.fingerprint.localeCompare(b.fingerprint));
  return { version: BASELINE_VERSION, entries };
}

/** Writes a baseline file (JSON, one entry per line for readable diffs). */
export async function writeBaseline(path: string, files: FileReport[]): Promise<number> {
  const { entries } = buildBaseline(files);
  const body = entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  await writeFile(path, `{\n  "version": ${BASELINE_VERSION},\n  "entries": [\n${body}${body ? '\n' : ''}  ]\n}\n`, 'utf8');
  return entries.length;
}

/** Reads a baseline file. @throws UsageError when it is missing, not JSON or not a miglint baseline. */
export async function readBaseline(path: string): Promise<Baseline> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read the baseline ${path}: ${(e as Error).message}`);
  }
  const b = data as Partial<Baseline> | null;
  const valid = b && b.version === BASELINE_VERSION && Array.isArray(b.entries) && b.entries.every((e) => e && typeof e.file === 'string' && typeof e.ruleId === 'string' && typeof e.fingerprint === 'string');
  if (!valid) throw new UsageError(`${path} is not a miglint baseline (version ${BASELINE_VERSION}); write one with --write-baseline`);
  return b as Baseline;
}

/** Removes the findings the baseline records; see the module comment for the matching. */
export function applyBaseline(files: FileReport[], baseline: Baseline): BaselineResult {
  const key = (file: string, fp: string) => `${file}\u0000${fp}`;
  const remaining = new Map<string, number>();
  for (const e of baseline.entries) remaining.set(key(e.file, e.fingerprint), (remaining.get(key(e.file, e.fingerprint)) ?? 0) + 1);
  const linted = new Set(files.map((f) => f.displayPath));
  const hasOwnEntries = new Set(baseline.entries.map((e) => e.file));
  // Entries of files not linted under their recorded path, per fingerprint (one key per entry): a renamed file's findings.
  const orphans = new Map<string, string[]>();
  for (const e of baseline.entries) {
    if (linted.has(e.file)) continue;
    const list = orphans.get(e.fingerprint) ?? [];
    list.push(key(e.file, e.fingerprint));
    orphans.set(e.fingerprint, list);
  }
  const take = (k: string): boolean => {
    const n = remaining.get(k) ?? 0;
    if (n > 0) remaining.set(k, n - 1);
    return n > 0;
  };
  let suppressed = 0;
  const out = files.map((file) => ({
    ...file,
    findings: file.findings.filter((f) => {
      const fp = fingerprint(f, file.source.text);
      let known = take(key(file.displayPath, fp));
      if (!known && !hasOwnEntries.has(file.displayPath)) {
        const orphan = orphans.get(fp)?.shift();
        known = orphan !== undefined && take(orphan);
      }
      if (known) suppressed++;
      return !known;
    }),
  }));
  const unmatched = [...remaining.values()].reduce((a, b) => a + b, 0);
  return { files: out, suppressed, unmatched };
}

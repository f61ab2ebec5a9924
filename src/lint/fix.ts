/**
 * The fix loop: apply fixes' edits to the original text, re-lint, re-fix until
 * nothing changes, and refuse any output that no longer parses. A fix must hold:
 * when the re-lint still reports its finding at the place it fixed (another fix of
 * the same pass undid what it relied on, e.g. a `SET lock_timeout` inserted into a
 * transaction that an index fix then switched off), the pass is redone without it.
 */
import type { Edit, Finding, Fix } from '../core/diagnostic.js';
import type { ResolvedConfig } from '../config/index.js';
import { lintText, SYNTAX_ERROR, type EngineOptions } from './engine.js';
import { syntaxProblem } from './verify.js';

/** The most passes the loop makes before it reports non-convergence. */
export const MAX_FIX_PASSES = 10;

export interface FixOptions extends EngineOptions {
  /** Apply unsafe fixes too (`--unsafe-fixes`). */
  unsafe: boolean;
  /** Only fixes of these rule ids are applied (`--fix-type`); all when null or absent. */
  fixOnly?: ReadonlySet<string> | null;
}

export interface FixResult {
  /** The fixed text (equal to the input when nothing applied or on error). */
  output: string;
  /** How many fixes were applied over all passes. */
  applied: number;
  /** Why the output was refused, if it was; the input is then left as it was. */
  error: string | null;
}

export function isApplicable(fix: Fix | undefined, unsafe: boolean): fix is Fix {
  if (!fix || fix.edits.length === 0) return false;
  return fix.applicability === 'safe' || (unsafe && fix.applicability === 'unsafe');
}

/**
 * Applies non-overlapping fixes to `text`. A fix is taken whole or not at all; an
 * edit identical to one already taken (two fixes switching the same transaction off)
 * is shared rather than a conflict. Edits are applied from the end backwards.
 */
export function applyFixes(text: string, fixes: Fix[]): { output: string; applied: number; taken: Fix[]; edits: Edit[] } {
  const taken: Edit[] = [];
  const takenFixes: Fix[] = [];
  let applied = 0;
  const sorted = [...fixes].sort((a, b) => Math.min(...a.edits.map((e) => e.start)) - Math.min(...b.edits.map((e) => e.start)));
  for (const fix of sorted) {
    const fresh = fix.edits.filter((e) => !taken.some((t) => t.start === e.start && t.end === e.end && t.text === e.text));
    const clash = fresh.some((e) => taken.some((t) => overlaps(e, t)));
    if (clash) continue;
    taken.push(...fresh);
    takenFixes.push(fix);
    applied++;
  }
  taken.sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of taken) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return { output: out, applied, taken: takenFixes, edits: taken };
}

/**
 * Where offset `at` of the text before `edits` is after them: moved by every edit before it
 * (an insertion at `at` itself goes before it); inside a replaced range, the range's new start.
 */
export function mapOffset(edits: readonly Edit[], at: number): number {
  const inside = edits.find((e) => e.start < at && at < e.end);
  const point = inside ? inside.start : at;
  let delta = 0;
  for (const e of edits) {
    if (e === inside) continue;
    const before = e.end < point || (e.end === point && (e.start < point || e.start === e.end));
    if (before) delta += e.text.length - (e.end - e.start);
  }
  return point + delta;
}

/**
 * The fixes of `taken` whose finding the re-lint `after` still reports where it fixed it (same
 * rule, a finding covering the mapped start). A place where a fix not taken in this pass had a
 * finding of the same rule is ambiguous and not judged.
 */
function fixesThatDidNotHold(candidates: readonly Finding[], taken: readonly Fix[], edits: readonly Edit[], after: readonly Finding[]): Set<Fix> {
  const out = new Set<Fix>();
  const untaken = candidates.filter((f) => !taken.includes(f.fix!));
  for (const f of candidates) {
    if (!taken.includes(f.fix!)) continue;
    if (untaken.some((u) => u.ruleId === f.ruleId && u.span.start === f.span.start)) continue;
    const at = mapOffset(edits, f.span.start);
    if (after.some((a) => a.ruleId === f.ruleId && a.span.start <= at && at < Math.max(a.span.end, a.span.start + 1))) out.add(f.fix!);
  }
  return out;
}

function overlaps(a: Edit, b: Edit): boolean {
  if (a.start === a.end && b.start === b.end) return a.start === b.start; // two insertions at one point: order is ambiguous
  return a.start < b.end && b.start < a.end;
}

/** Lints, fixes and re-lints `text` until no applicable fix remains. */
export function fixText(file: string, text: string, config: ResolvedConfig, options: FixOptions): FixResult {
  const before = syntaxProblem(file, text);
  let current = text;
  let applied = 0;
  let findings = lintText(file, current, config, options).findings;
  if (findings.some((f) => f.ruleId === SYNTAX_ERROR)) return { output: text, applied: 0, error: null };
  for (let pass = 0; pass < MAX_FIX_PASSES; pass++) {
    let candidates = findings.filter((f: Finding) => (!options.fixOnly || options.fixOnly.has(f.ruleId)) && isApplicable(f.fix, options.unsafe));
    // Each retry leaves out at least one fix, so this ends.
    for (;;) {
      if (candidates.length === 0) return finish(file, text, current, applied, before);
      const r = applyFixes(current, candidates.map((f) => f.fix!));
      if (r.output === current) return finish(file, text, current, applied, before);
      const after = lintText(file, r.output, config, options).findings;
      const failed = fixesThatDidNotHold(candidates, r.taken, r.edits, after);
      if (failed.size) {
        candidates = candidates.filter((f) => !failed.has(f.fix!));
        continue;
      }
      current = r.output;
      applied += r.applied;
      findings = after;
      break;
    }
  }
  return { output: text, applied: 0, error: `fixes did not converge after ${MAX_FIX_PASSES} passes; the file was left unchanged` };
}

function finish(file: string, original: string, output: string, applied: number, before: string | null): FixResult {
  if (output === original) return { output, applied: 0, error: null };
  const after = syntaxProblem(file, output);
  if (after && !before) return { output: original, applied: 0, error: `the fixed file would not parse (${after}); it was left unchanged` };
  return { output, applied, error: null };
}

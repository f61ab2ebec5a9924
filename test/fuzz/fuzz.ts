/**
 * The fuzz run: seeded inputs (half `.sql` files, half TS/JS modules) through the
 * oracle, with figures, failures grouped into classes, and a shrunk
 * counterexample per class. Used by the short run in `fuzz.test.ts` and the long
 * one in `run.ts`.
 */
import fc from 'fast-check';
import { prepareFrontends } from '../../src/sources/index.js';
import type { Input } from './doc.js';
import { check, type Failure, type Part } from './oracle.js';
import { renderSqlFile, sqlFileArb, type SqlFileSpec } from './sql-file.js';
import { renderTsFile, tsFileArb, type TsFileSpec } from './ts-file.js';

/** One input's spec: a `.sql` file or a TS/JS module. */
export type Spec = { sql: SqlFileSpec } | { ts: TsFileSpec };

/** Half `.sql` files, half TS/JS modules. */
export const specArb: fc.Arbitrary<Spec> = fc.oneof(fc.record({ sql: sqlFileArb }), fc.record({ ts: tsFileArb }));

/** The input a spec stands for, with the expectation of each statement in it. */
export function render(spec: Spec): Input {
  return 'sql' in spec ? renderSqlFile(spec.sql) : renderTsFile(spec.ts);
}

/** Loads the SQL parser and the TypeScript frontend, as the CLI does before linting. */
export async function prepare(): Promise<void> {
  await prepareFrontends(['fuzz.sql', 'fuzz.ts']);
}

/** The failure an input is filed under: the first in the order its statements run (later ones often follow from it). */
export function firstFailure(failures: readonly Failure[]): Failure | undefined {
  return [...failures].sort((a, b) => (a.statement?.id ?? -1) - (b.statement?.id ?? -1))[0];
}

export interface FailureClass {
  key: string;
  /** Inputs filed under it. */
  inputs: number;
  /** The index (0-based) of the first input filed under it, for shrinking. */
  firstIndex: number;
  example: { label: string; detail: string };
}

export interface Figures {
  seed: number;
  runs: number;
  seconds: number;
  statements: number;
  /** Failed statements (or inputs, for exception and slow) per oracle part. */
  parts: Record<Part, number>;
  inputsFailing: number;
  /** CPU time per input, ms (see `Outcome.ms`). */
  maxMs: number;
  medianMs: number;
  p99Ms: number;
  /** Wall-clock time: the longest, and how many inputs took over 2 s (load on the machine counts here). */
  maxWallMs: number;
  overWall: number;
  classes: FailureClass[];
}

/**
 * Runs `runs` inputs from `seed` through the oracle, collecting figures.
 * `progress` is called every `every` inputs.
 */
export function runFuzz(seed: number, runs: number, progress?: (done: number, seconds: number) => void, every = 5000): Figures {
  const times = new Float64Array(runs);
  let maxWallMs = 0;
  let overWall = 0;
  const parts: Record<Part, number> = { exception: 0, slow: 0, dropped: 0, missed: 0, unexpected: 0, model: 0 };
  const classes = new Map<string, FailureClass>();
  let index = 0;
  let statements = 0;
  let inputsFailing = 0;
  const t0 = Date.now();
  fc.check(
    fc.property(specArb, (spec) => {
      const input = render(spec);
      const outcome = check(input);
      times[index] = outcome.ms;
      maxWallMs = Math.max(maxWallMs, outcome.wallMs);
      if (outcome.wallMs > 2000) overWall++;
      statements += input.expected.length;
      for (const f of outcome.failures) parts[f.part]++;
      const first = firstFailure(outcome.failures);
      if (first) {
        inputsFailing++;
        const c = classes.get(first.key);
        if (c) c.inputs++;
        else classes.set(first.key, { key: first.key, inputs: 1, firstIndex: index, example: { label: input.label, detail: first.detail } });
      }
      index++;
      if (progress && index % every === 0) progress(index, (Date.now() - t0) / 1000);
      return true;
    }),
    { seed, numRuns: runs },
  );
  const sorted = Array.from(times.subarray(0, index)).sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
  return {
    seed,
    runs: index,
    seconds: (Date.now() - t0) / 1000,
    statements,
    parts,
    inputsFailing,
    maxMs: sorted[sorted.length - 1] ?? 0,
    maxWallMs,
    overWall,
    medianMs: q(0.5),
    p99Ms: q(0.99),
    classes: [...classes.values()].sort((a, b) => a.firstIndex - b.firstIndex),
  };
}

export interface Counterexample {
  key: string;
  spec: Spec;
  input: Input;
  failures: Failure[];
  shrinks: number;
}

/**
 * Replays the first input of `seed` filed under `cls` and shrinks it
 * (fast-check's shrinking) to a smaller input that still has a failure with that key.
 * Stops shrinking after `seconds`. Null if the class did not reproduce.
 */
export function shrink(seed: number, cls: FailureClass, seconds: number): Counterexample | null {
  let failedAt = 0;
  // Once the budget is spent, every candidate "passes": the shrinker stops at the smallest failing input so far.
  const details = fc.check(
    fc.property(specArb, (spec) => {
      if (failedAt && Date.now() - failedAt > seconds * 1000) return true;
      const failing = check(render(spec)).failures.some((f) => f.key === cls.key);
      if (failing && !failedAt) failedAt = Date.now();
      return !failing;
    }),
    // `path` replays run number firstIndex of this seed at once (fast-check's replay), then shrinks it.
    { seed, path: String(cls.firstIndex), numRuns: cls.firstIndex + 1 },
  );
  if (!details.failed || !details.counterexample) return null;
  const spec = details.counterexample[0];
  const input = render(spec);
  return { key: cls.key, spec, input, failures: check(input).failures, shrinks: details.numShrinks };
}

/**
 * The long fuzz run:
 *
 *   node dist/test/fuzz/run.js --runs 100000 [--seed N] [--out DIR] [--shrink K] [--shrink-seconds S]
 *
 * Defaults: seed 42, DIR the system temp folder's `miglint-fuzz`, K 40 classes, S 60 s of shrinking per class.
 *
 * Prints the figures (inputs run, escaped exceptions, runs over 2 s, silently
 * dropped statements, missed and unexpected findings, max/median ms), then the
 * failure classes, and writes a shrunk counterexample of each of the first K
 * classes to DIR (one `.txt` report and the input file itself, to lint with the
 * CLI). Exit code 1 when any input failed, 0 otherwise.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { visible } from './doc.js';
import { prepare, runFuzz, shrink, type Figures } from './fuzz.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: join(tmpdir(), 'miglint-fuzz') },
    shrink: { type: 'string', default: '40' },
    'shrink-seconds': { type: 'string', default: '60' },
  },
});
const int = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`--${name}: expected a non-negative integer, got ${JSON.stringify(v)}\n`);
    process.exit(2);
  }
  return n;
};
const runs = int('runs', values.runs);
const seed = int('seed', values.seed);
const shrinkCount = int('shrink', values.shrink);
const shrinkSeconds = int('shrink-seconds', values['shrink-seconds']);
const out = values.out!;

function report(f: Figures): string {
  const lines = [
    `seed ${f.seed}: ${f.runs} inputs in ${f.seconds.toFixed(0)} s (${(f.runs / f.seconds).toFixed(1)} inputs/s), ${f.statements} generated statements`,
    `escaped exceptions:            ${f.parts.exception}`,
    `runs over 2 s (CPU time):      ${f.parts.slow}   (wall clock: ${f.overWall} over 2 s, max ${f.maxWallMs.toFixed(0)} ms)`,
    `silently dropped statements:   ${f.parts.dropped}`,
    `missed findings:               ${f.parts.missed}`,
    `findings on safe statements:   ${f.parts.unexpected}`,
    `generator errors (model):      ${f.parts.model}`,
    `inputs with a failure:         ${f.inputsFailing}`,
    `CPU ms per input: median ${f.medianMs.toFixed(1)}, p99 ${f.p99Ms.toFixed(1)}, max ${f.maxMs.toFixed(0)}`,
    `failure classes (inputs filed under each by its first failure):`,
    ...f.classes.map((c) => `  ${String(c.inputs).padStart(6)}  ${c.key}  (first: input #${c.firstIndex}, ${c.example.label})`),
  ];
  return lines.join('\n');
}

await prepare();
mkdirSync(out, { recursive: true });
const figures = runFuzz(seed, runs, (done, s) => {
  const rate = done / s;
  process.stderr.write(`${done}/${runs} inputs, ${rate.toFixed(1)}/s, about ${((runs - done) / rate / 60).toFixed(1)} min left\n`);
});
const summary = report(figures);
process.stdout.write(`${summary}\n`);
writeFileSync(join(out, 'figures.txt'), `${summary}\n`);
writeFileSync(join(out, 'figures.json'), JSON.stringify(figures, null, 2));

for (const [i, cls] of figures.classes.slice(0, shrinkCount).entries()) {
  const cx = shrink(seed, cls, shrinkSeconds);
  const base = join(out, `${String(i + 1).padStart(2, '0')}-${cls.key.replace(/[^\w-]+/g, '_')}`);
  if (!cx) {
    writeFileSync(`${base}.txt`, `${cls.key}: did not reproduce on re-run (first seen at input #${cls.firstIndex})\n`);
    continue;
  }
  const ext = cx.input.name.slice(cx.input.name.lastIndexOf('.'));
  writeFileSync(`${base}${ext}`, cx.input.bytes);
  const text = [
    `class ${cls.key}: ${cls.inputs} inputs; seed ${seed}, first at input #${cls.firstIndex}; shrunk ${cx.shrinks} times`,
    `input: ${cx.input.label}, configuration ${JSON.stringify(cx.input.config)}, file ${base}${ext} (${cx.input.bytes.length} bytes)`,
    'failures:',
    ...cx.failures.map((f) => `  ${f.key}: ${f.detail.split('\n')[0]}`),
    '--- text (decoded as the CLI decodes it; NUL and other control characters shown as \\u escapes) ---',
    visible(cx.input.text),
    '--- spec ---',
    JSON.stringify(cx.spec),
  ].join('\n');
  writeFileSync(`${base}.txt`, `${text}\n`);
  process.stdout.write(`shrunk ${cls.key} (${cx.shrinks} steps) -> ${base}${ext}\n`);
}
process.exitCode = figures.inputsFailing > 0 ? 1 : 0;

/**
 * `miglint [paths...]`: lint migrations. Exit codes: 0 nothing at error severity,
 * 1 findings at error severity (or more warnings than --max-warnings), 2 usage,
 * configuration or internal error.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseArgs } from './args.js';
import { listRules } from './rule-catalogue.js';
import { rules } from '../../rules/index.js';
import { ConfigError, ConfigLoader, DIRECTIONS, type Direction } from '../config/index.js';
import { RULE_CATEGORIES, ruleDocsUrl, type RuleCategory } from '../core/rule.js';
import { discoverFiles, UsageError } from '../lint/discover.js';
import { readStreamLimited, sourceFromBytes } from '../lint/read.js';
import { displayPath, lintSource, newRunResult, runFiles, type RunOptions, type RunResult } from '../lint/run.js';
import { selectFiles } from '../lint/since.js';
import { collectedReport, type FileReport, type StreamReporter } from '../report/types.js';
import { ReportSink } from './report-sink.js';
import { prepareFrontends } from '../sources/index.js';
import { frameworkEntries } from '../sources/registry.js';

/**
 * Reporters by format, loaded on use: the CI formats' libraries stay out of an editor's or a hook's
 * start-up. All but SARIF (whose rule table comes first) write each file as it is linted.
 */
const REPORTERS: Record<string, () => Promise<StreamReporter>> = {
  stylish: async () => (await import('../report/stylish.js')).stylishStream,
  json: async () => (await import('../report/json.js')).jsonStream,
  sarif: async () => collectedReport((await import('../report/machine.js')).sarif),
  github: async () => (await import('../report/machine.js')).githubStream,
  gitlab: async () => (await import('../report/machine.js')).gitlabStream,
};

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

interface Opts {
  format: string;
  config?: string;
  fix?: boolean;
  fixDryRun?: boolean;
  unsafeFixes?: boolean;
  rule?: string[];
  fixType?: RuleCategory[];
  directions?: Direction[];
  outputFile?: string;
  maxWarnings?: number;
  quiet?: boolean;
  listRules?: boolean;
  stdin?: boolean;
  stdinFilename?: string;
  since?: string;
  baseline?: string;
  writeBaseline?: string;
  debug?: boolean;
  printConfig?: string;
}

/**
 * A commander argument parser for a comma-separated list of `choices`, repeatable
 * (`--x a,b --x c`). An empty item or one not among the choices is a usage error.
 */
function listOf<T extends string>(choices: readonly T[], what: string, hint = `one of ${choices.join(', ')}, comma-separated`) {
  return (value: string, previous: T[] | undefined): T[] => {
    const items = value.split(',').map((v) => v.trim());
    const bad = items.find((v) => !(choices as readonly string[]).includes(v));
    if (bad !== undefined) throw new InvalidArgumentError(`${bad === '' ? 'an empty item' : `"${bad}"`} is not a ${what} (${hint}).`);
    return [...new Set([...(previous ?? []), ...(items as T[])])];
  };
}

/** A commander argument parser for a whole number, 0 or more. */
function count(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number, 0 or more.');
  return Number(value);
}

/**
 * The worker threads to lint with, from `MIGLINT_WORKERS`: a whole number forces that many, `auto`
 * sizes the pool to the machine for runs large enough to pay for it (see `lint/pool.ts`); unset or
 * anything else, 0 (all on the main thread). Off by default until it is measured to pay: on the
 * 2-core machine it was written on, shared with other work, two workers were 15-20 % slower than
 * the main thread alone (and a TS run took 100 MiB more), as two processes there took as long as one.
 */
function workersSetting(value: string | undefined): number | 'auto' {
  const v = value?.trim() ?? '';
  if (v === 'auto') return 'auto';
  return /^\d+$/.test(v) ? Number(v) : 0;
}

/**
 * Runs the CLI; returns the exit code (0 clean, 1 findings, 2 usage, configuration or internal error).
 * Never throws for user errors. `cwd` is the directory paths and the configuration are found from
 * (the process's by default; tests run the CLI in-process on their own directories).
 */
export async function main(argv: string[], io = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }, cwd = process.cwd()): Promise<number> {
  if (argv[0] === 'init') return (await import('./init.js')).initCommand(argv.slice(1), io, cwd);
  const program = new Command('miglint')
    .description(`Find what breaks production in PostgreSQL migrations (SQL, ${frameworkEntries()
      .map((f) => f.name)
      .join(', ')}).`)
    .version(version())
    .argument('[paths...]', 'files, directories or globs to lint', ['.'])
    .addHelpText('after', '\nCommands:\n  miglint lsp [--stdio]     run the language server on stdio (for editors)\n  miglint init [--pre-commit]  write a starter configuration (and a pre-commit hook)')
    .addOption(new Option('-f, --format <name>', 'output format').choices(Object.keys(REPORTERS)).default('stylish'))
    .option('-c, --config <file>', 'use this configuration file instead of searching for one')
    .option('--fix', 'apply safe fixes in place, then report what is left')
    .option('--unsafe-fixes', 'with --fix or --fix-dry-run, also apply unsafe fixes')
    .option('--fix-dry-run', 'print a unified diff of the fixes per file; write nothing')
    .addOption(new Option('--fix-type <types>', `with --fix: apply only fixes of these rule categories (${RULE_CATEGORIES.join(', ')}), comma-separated`).argParser(listOf(RULE_CATEGORIES, 'rule category')))
    .addOption(new Option('--rule <id>', 'run (and fix) only this rule; repeat for more, or comma-separate').argParser(listOf(rules.map((r) => r.meta.id), 'rule id', 'see --list-rules')))
    .addOption(new Option('--directions <list>', `lint only these migration directions (${DIRECTIONS.join(', ')}), comma-separated; overrides the "directions" setting`).argParser(listOf(DIRECTIONS, 'direction')))
    .option('-o, --output-file <file>', 'write the report to a file')
    .addOption(new Option('--max-warnings <n>', 'exit 1 when there are more warnings than this').argParser(count))
    .option('--quiet', 'report errors only')
    .option('--list-rules', 'list the rules and exit')
    .option('--since <git-ref>', 'report only migrations added or changed since this git ref (and untracked ones)')
    .option('--baseline <file>', 'report only findings not recorded in this baseline file')
    .option('--write-baseline <file>', "record today's findings in a baseline file, then exit 0")
    .option('--stdin', 'lint text from standard input (for editors)')
    .option('--stdin-filename <file>', 'the file name standard input stands for (picks the frontend and the config)')
    .option('--debug', 'say on standard error which files were skipped or not read, and for each file read its frontend, framework, runner and transaction mode, and why')
    .option('--print-config <file>', "print what applies to this file as JSON (configuration, frontend, framework, runner, transaction mode, and what decided each), then exit");
  const code = parseArgs(program, argv, io);
  if (code !== null) return code;
  const opts = program.opts<Opts>();
  const paths = program.args.length ? program.args : ['.'];
  if (opts.listRules) {
    io.stdout.write(listRules(rules));
    return 0;
  }
  const known = new Set(rules.map((r) => r.meta.id));
  if (opts.printConfig !== undefined) {
    try {
      const { explainFile } = await import('../lint/explain.js');
      io.stdout.write(`${JSON.stringify(await explainFile(opts.printConfig, new ConfigLoader(known, opts.config ?? null), cwd), null, 2)}\n`);
      return 0;
    } catch (e) {
      io.stderr.write(`miglint: ${e instanceof ConfigError ? '' : 'cannot explain '}${e instanceof ConfigError ? e.message : `${opts.printConfig}: ${(e as Error).message}`}\n`);
      return 2;
    }
  }
  if (opts.unsafeFixes && !opts.fix && !opts.fixDryRun) {
    io.stderr.write('miglint: --unsafe-fixes goes with --fix or --fix-dry-run\n');
    return 2;
  }

  const fixTypes = opts.fixType ?? null;
  const debug = opts.debug ? (m: string) => void io.stderr.write(`miglint: debug: ${m}\n`) : null;
  const runOptions: RunOptions = {
    cwd,
    rules,
    only: opts.rule?.length ? new Set(opts.rule) : null,
    fix: opts.fixDryRun ? 'dry-run' : opts.fix ? 'write' : 'off',
    unsafeFixes: !!opts.unsafeFixes,
    fixOnly: fixTypes ? new Set(rules.filter((r) => fixTypes.includes(r.meta.category)).map((r) => r.meta.id)) : null,
    directions: opts.directions ? new Set(opts.directions) : null,
    debug,
    workers: workersSetting(process.env['MIGLINT_WORKERS']),
  };
  const loader = new ConfigLoader(known, opts.config ? resolve(cwd, opts.config) : null);
  const writer = (await REPORTERS[opts.format]!())({
    rules: rules.map((r) => ({ id: r.meta.id, description: r.meta.description, docsUrl: ruleDocsUrl(r.meta.id) })),
    version: version(),
  });
  const sink = new ReportSink(writer, io.stdout, opts.outputFile ? resolve(cwd, opts.outputFile) : null, !!opts.quiet);
  // Each file is reported as soon as it is linted, unless something needs every finding first:
  // a baseline to write or apply, or --fix-dry-run's diffs, printed before the report.
  const streamed = !opts.writeBaseline && !opts.baseline && runOptions.fix !== 'dry-run';
  const onReport = streamed ? (report: FileReport) => sink.give(report) : undefined;
  let result: RunResult;
  try {
    if (opts.stdin) {
      const name = resolve(cwd, opts.stdinFilename ?? 'stdin.sql');
      await prepareFrontends([name]);
      result = newRunResult();
      const stdinOptions = { ...runOptions, fix: runOptions.fix === 'write' ? ('dry-run' as const) : runOptions.fix };
      const read = async (max: number) => sourceFromBytes(await readStreamLimited(io.stdin, max), max);
      const { report } = await lintSource(name, read, loader, stdinOptions, result);
      if (onReport) onReport(report);
      else result.files.push(report);
    } else {
      const ignores = (await loader.forFile(resolve(cwd, 'x'))).ignores;
      const regular = new Set<string>();
      const files = await selectFiles(await discoverFiles(paths, cwd, ignores, { debug, regular }), loader, { since: opts.since ?? null, cwd });
      result = await runFiles(files, loader, { ...runOptions, seenRegular: regular }, onReport);
    }
  } catch (e) {
    sink.abandon();
    if (e instanceof UsageError || e instanceof ConfigError) {
      io.stderr.write(`miglint: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`miglint: internal error: ${(e as Error).message}\n`);
    return 2;
  }

  if (opts.writeBaseline) {
    const { writeBaseline } = await import('../lint/baseline.js');
    const n = await writeBaseline(resolve(cwd, opts.writeBaseline), result.files);
    io.stderr.write(`miglint: wrote ${n} finding${n === 1 ? '' : 's'} to the baseline ${opts.writeBaseline}\n`);
    return result.internalErrors > 0 ? 2 : 0;
  }
  if (opts.baseline) {
    const { applyBaseline, readBaseline } = await import('../lint/baseline.js');
    let applied;
    try {
      applied = applyBaseline(result.files, await readBaseline(resolve(cwd, opts.baseline)));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.stderr.write(`miglint: ${e.message}\n`);
      return 2;
    }
    result.files = applied.files;
    const stale = applied.unmatched ? `; ${applied.unmatched} of its entries no longer match a finding (fixed or removed: --write-baseline shrinks it)` : '';
    io.stderr.write(`miglint: the baseline hid ${applied.suppressed} known finding${applied.suppressed === 1 ? '' : 's'}${stale}\n`);
  }
  if (runOptions.fix === 'dry-run') io.stdout.write(result.diffs.join(''));
  for (const e of result.fixErrors) io.stderr.write(`miglint: ${displayPath(cwd, e.file)}: ${e.message}\n`);
  for (const report of result.files) sink.give(report);
  sink.finish(runOptions.fix === 'write' ? result.fixedCount : 0);

  if (result.internalErrors > 0 || result.fixErrors.length > 0) return 2;
  if (sink.errors > 0) return 1;
  if (opts.maxWarnings !== undefined && sink.warnings > opts.maxWarnings) return 1;
  return 0;
}

/**
 * What miglint decided about one file, and why: its frontend, framework, runner and transaction
 * mode, for `miglint --print-config <file>` (JSON) and the per-file lines of `--debug`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigLoader, ResolvedConfig } from '../config/index.js';
import type { MigrationUnit } from '../core/unit.js';
import { frontendFor, loadUnit, prepareFrontends } from '../sources/index.js';
import { displayPath, configForFile } from './run.js';

/** The decisions about one file. */
export interface FileExplanation {
  file: string;
  /** The configuration file that applies, or null for the defaults. */
  configFile: string | null;
  /** The language frontend (`sql`, `ts`, `python`, ...), or null when none reads the file. */
  frontend: string | null;
  /** The framework module that read it (`sql` for a plain SQL file, `knex`, `typeorm`, ...). */
  framework: string | null;
  /** For a `.sql` file: the runner and what decided it (configuration, a project file, a dependency, a marker). */
  runner: { name: string; decidedBy: string } | null;
  /** Whether the migration runs in a transaction block the runner or framework opens, and why. */
  transaction: { wrapped: boolean; reason: string; oneQueryString?: string; byPhase?: Record<string, boolean> } | null;
  /** For Prisma Migrate: the version found and where, and how it runs migration.sql. */
  prisma?: { mode: string; version: string | null; source: string };
  pgVersion: number;
}

/** The explanation of a unit already loaded with `config`. */
export function explainUnit(file: string, unit: MigrationUnit | null, config: ResolvedConfig, cwd: string): FileExplanation {
  const prisma = config.settings.runnerMetadata?.prisma;
  const w = unit?.wrapped;
  return {
    file: displayPath(cwd, file),
    configFile: config.path ? displayPath(cwd, config.path) : null,
    frontend: frontendFor(file)?.id ?? null,
    framework: unit?.framework ?? null,
    runner: unit?.runner ? { name: unit.runner.name, decidedBy: unit.runner.why } : null,
    transaction: w
      ? {
          wrapped: w.inTransaction,
          reason: w.reason,
          ...(w.oneQueryString ? { oneQueryString: w.oneQueryString } : {}),
          ...(w.byPhase && Object.keys(w.byPhase).length ? { byPhase: w.byPhase as Record<string, boolean> } : {}),
        }
      : null,
    ...(prisma && unit?.runner?.name === 'prisma' ? { prisma } : {}),
    pgVersion: config.settings.pgVersion,
  };
}

/** One `--debug` line for a linted unit. */
export function debugLine(e: FileExplanation): string {
  const runner = e.runner ? `; runner ${e.runner.name} (${e.runner.decidedBy})` : '';
  const tx = e.transaction ? `; ${e.transaction.wrapped ? 'in a transaction' : 'no transaction'} (${e.transaction.reason})${e.transaction.oneQueryString && !e.transaction.reason.includes(e.transaction.oneQueryString) ? `; ${e.transaction.oneQueryString}` : ''}` : '';
  return `${e.file}: frontend ${e.frontend ?? 'none'}, framework ${e.framework ?? 'none'}${runner}${tx}; config ${e.configFile ?? 'defaults'}`;
}

/**
 * Reads and analyses `file` as a lint run would, and says what was decided about it.
 * @throws ConfigError when its configuration is invalid; the file system's error when it cannot be read.
 */
export async function explainFile(file: string, loader: ConfigLoader, cwd: string): Promise<FileExplanation> {
  const path = resolve(cwd, file);
  const config = await configForFile(path, loader);
  if (frontendFor(path) === null) return explainUnit(path, null, config, cwd);
  await prepareFrontends([path]);
  const unit = loadUnit(path, await readFile(path, 'utf8'), config.settings);
  unit.release?.(); // An explanation asks for no fix edits.
  return explainUnit(path, unit, config, cwd);
}

/**
 * miglint's library API: lint migration text or files programmatically, the same
 * engine the CLI runs. migrun's API is `miglint/runtime`.
 *
 * ```ts
 * import { lintSource } from 'miglint';
 * const findings = await lintSource('db/0042_add_index.sql', 'CREATE INDEX i ON leads (a);');
 * // [{ ruleId: 'require-concurrent-index-creation', line: 1, column: 1, severity: 'error', ... }, ...]
 * ```
 */
import { rules } from '../rules/index.js';
import { resolveConfig, type ConfigFile } from './config/index.js';
import type { Finding } from './core/diagnostic.js';
import { lintText } from './lint/engine.js';
import { fixText } from './lint/fix.js';
import { prepareFrontends } from './sources/index.js';

export { rules } from '../rules/index.js';
export type { Diagnostic, Edit, Finding, Fix, Span, Severity, Applicability } from './core/diagnostic.js';
export type { Rule, RuleMeta, LintSettings, SqlRunner } from './core/rule.js';
export type { MigrationUnit, Statement, StatementContext } from './core/unit.js';
export type { ConfigFile } from './config/index.js';
export { ConfigLoader, ConfigError } from './config/index.js';
export { runFiles, type RunOptions, type RunResult } from './lint/run.js';
export { discoverFiles } from './lint/discover.js';

const known = new Set(rules.map((r) => r.meta.id));

/**
 * Lints one migration's text as the file `file` (its extension picks the frontend).
 * @param config configuration as in a config file (validated only by type here).
 * @returns findings with 1-based lines and UTF-16 columns.
 * @throws ConfigError when `config.rules` names an unknown rule.
 */
export async function lintSource(file: string, text: string, config: ConfigFile = {}): Promise<Finding[]> {
  await prepareFrontends([file]);
  return lintText(file, text, resolveConfig(config, null, known), { rules }).findings;
}

/**
 * The text with every applicable fix applied (safe ones; unsafe ones too when asked).
 * @returns the fixed text and how many fixes applied; `error` says why nothing was written.
 */
export async function fixSource(file: string, text: string, config: ConfigFile = {}, options: { unsafe?: boolean } = {}) {
  await prepareFrontends([file]);
  return fixText(file, text, resolveConfig(config, null, known), { rules, unsafe: !!options.unsafe });
}

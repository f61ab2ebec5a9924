/** Lints in-memory text for tests, with chosen rules and settings. */
import { resolveConfig, type ConfigFile, type ResolvedConfig } from '../../src/config/index.js';
import type { Finding } from '../../src/core/diagnostic.js';
import { lintText } from '../../src/lint/engine.js';
import { stylish } from '../../src/report/stylish.js';
import { SourceText } from '../../src/core/source-text.js';
import { rules } from '../../rules/index.js';
import { prepareFrontends } from '../../src/sources/index.js';

await prepareFrontends(['any.sql', 'any.ts', 'any.py']);

export const knownRules = new Set(rules.map((r) => r.meta.id));

export function config(file: ConfigFile = {}): ResolvedConfig {
  return resolveConfig(file, null, knownRules);
}

/** Findings of `text` as the file `name`, with only `ruleIds` running (all when omitted). */
export function lint(name: string, text: string, options: { rules?: string[]; config?: ConfigFile } = {}): Finding[] {
  return lintText(name, text, config(options.config), { rules, only: options.rules ? new Set(options.rules) : null }).findings;
}

/** The stylish rendering of findings, without colours. */
export function render(name: string, text: string, findings: Finding[]): string {
  return stylish([{ path: name, displayPath: name, source: new SourceText(text), findings }], { rules: [], color: false });
}

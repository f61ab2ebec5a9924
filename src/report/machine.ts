/**
 * Reporters for CI systems: SARIF 2.1.0 (code scanning), GitHub Actions workflow
 * commands (annotations) and GitLab Code Quality.
 */
import { createHash } from 'node:crypto';
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import { jsonArrayWriter } from './json.js';
import { wholeReport, type Reporter, type StreamReporter } from './types.js';

/** SARIF 2.1.0 through node-sarif-builder; columns are UTF-16 code units, SARIF's default. */
export const sarif: Reporter = (files, context) => {
  const run = new SarifRunBuilder().initSimple({ toolDriverName: 'miglint', toolDriverVersion: context.version ?? '0.0.0', url: 'https://www.postgresql.org/docs/current/explicit-locking.html' });
  const used = new Set(files.flatMap((f) => f.findings.map((x) => x.ruleId)));
  for (const id of used) {
    const info = context.rules.find((r) => r.id === id);
    run.addRule(new SarifRuleBuilder().initSimple({ ruleId: id, shortDescriptionText: info?.description ?? id.replace(/-/g, ' '), ...(info?.docsUrl ? { helpUri: info.docsUrl } : {}) }));
  }
  for (const file of files) {
    for (const f of file.findings) {
      run.addResult(
        new SarifResultBuilder().initSimple({
          level: f.severity === 'error' ? 'error' : 'warning',
          messageText: [f.message, f.note, f.help].filter(Boolean).join(' '),
          ruleId: f.ruleId,
          fileUri: file.displayPath,
          startLine: f.line,
          startColumn: f.column,
          endLine: f.endLine,
          endColumn: f.endColumn,
        }),
      );
    }
  }
  const builder = new SarifBuilder();
  builder.addRun(run);
  return builder.buildSarifJsonString({ indent: true }) + '\n';
};

/** Escaping of workflow command data and properties (GitHub's toolkit rules). */
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** GitHub Actions workflow commands, a line per finding, written file by file. */
export const githubStream: StreamReporter = () => ({
  file: (file) =>
    file.findings
      .map((f) => {
        const props = [`file=${escapeProperty(file.displayPath)}`, `line=${f.line}`, `col=${f.column}`, `endLine=${f.endLine}`, `endColumn=${f.endColumn}`, `title=${escapeProperty(`miglint: ${f.ruleId}`)}`];
        const body = [f.message, f.note, f.help].filter(Boolean).join('\n');
        return `::${f.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(body)}\n`;
      })
      .join(''),
  end: () => '',
});

export const github: Reporter = wholeReport(githubStream);

/** GitLab Code Quality: one JSON array of findings, written file by file (closed even when a run stops early). */
export const gitlabStream: StreamReporter = () => {
  const array = jsonArrayWriter();
  return {
    file: (file) =>
      file.findings
        .map((f) =>
          array.add({
            description: f.message,
            check_name: f.ruleId,
            fingerprint: createHash('sha256').update(`${file.displayPath}\0${f.ruleId}\0${file.source.lineText(f.line).trim()}\0${f.message}`).digest('hex'),
            severity: f.severity === 'error' ? 'major' : 'minor',
            location: { path: file.displayPath, lines: { begin: f.line, end: f.endLine } },
          }),
        )
        .join(''),
    end: () => array.close(),
  };
};

export const gitlab: Reporter = wholeReport(gitlabStream);

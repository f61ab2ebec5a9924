/**
 * The human reporter: findings grouped by file, a code frame with the span
 * underlined, the why (note) and what to do (help), and a summary. The only user
 * of chalk; honours NO_COLOR and FORCE_COLOR.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Finding } from '../core/diagnostic.js';
import type { SourceText } from '../core/source-text.js';
import { wholeReport, type FileReport, type Reporter, type StreamReporter } from './types.js';

function makeChalk(color?: boolean): ChalkInstance {
  if (color !== undefined) return new Chalk({ level: color ? 1 : 0 });
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return new Chalk();
  if (process.env.NO_COLOR) return new Chalk({ level: 0 });
  return new Chalk();
}

function frame(c: ChalkInstance, source: SourceText, f: Finding, gutter: number): string[] {
  const lines: string[] = [];
  const text = source.lineText(f.line).replace(/\t/g, ' ');
  const pad = ' '.repeat(gutter);
  const endCol = f.endLine === f.line ? Math.max(f.endColumn, f.column + 1) : text.length + 1;
  const width = Math.max(1, Math.min(endCol, text.length + 1) - f.column);
  lines.push(`${pad} ${c.dim('│')}`);
  lines.push(`${c.dim(String(f.line).padStart(gutter))} ${c.dim('│')} ${text}`);
  const more = f.endLine > f.line ? c.dim(` … to line ${f.endLine}`) : '';
  lines.push(`${pad} ${c.dim('│')} ${' '.repeat(f.column - 1)}${c.red('^'.repeat(width))}${more}`);
  return lines;
}

/**
 * One block per finding, in the style of rustc and ruff: severity and rule, the
 * message, `path:line:column` (clickable in editors and terminals), the code frame,
 * the related places (`::: path:line:column: what is there`), then note, help and fix;
 * written file by file, with the summary at the end.
 */
export const stylishStream: StreamReporter = (context) => {
  const c = makeChalk(context.color);
  let files = 0;
  let errors = 0;
  let warnings = 0;
  let safe = 0;
  let unsafe = 0;
  return {
    file(file) {
      files++;
      let out = '';
      const line = (text: string) => {
        out += `${text}\n`;
      };
      for (const f of file.findings) {
        if (f.severity === 'error') errors++;
        else warnings++;
        const hasEdits = !!f.fix && f.fix.edits.length > 0;
        if (hasEdits && f.fix!.applicability === 'safe') safe++;
        if (hasEdits && f.fix!.applicability === 'unsafe') unsafe++;
        const sev = f.severity === 'error' ? c.red.bold(`error[${f.ruleId}]`) : c.yellow.bold(`warning[${f.ruleId}]`);
        line(`${sev}${c.bold(`: ${f.message}`)}`);
        const gutter = String(f.line).length + 1;
        const pad = ' '.repeat(gutter);
        line(`${pad}${c.blue('-->')} ${file.displayPath}:${f.line}:${f.column}`);
        for (const l of frame(c, file.source, f, gutter)) line(l);
        for (const r of f.related ?? []) {
          const at = file.source.positionAt(r.span.start);
          line(`${pad}${c.blue(':::')} ${file.displayPath}:${at.line}:${at.column}: ${r.message}`);
        }
        if (f.note) line(`${pad} ${c.blue('=')} ${c.bold('note')}: ${f.note}`);
        if (f.help) line(`${pad} ${c.blue('=')} ${c.bold('help')}: ${f.help}`);
        if (f.fix) line(`${pad} ${c.blue('=')} ${c.bold(`fix (${f.fix.applicability})`)}: ${f.fix.title}`);
        line('');
      }
      return out;
    },
    end({ fixedCount, complete }) {
      if (!complete) return '';
      const out: string[] = [];
      const total = errors + warnings;
      const inFiles = `${files} file${files === 1 ? '' : 's'}`;
      if (fixedCount) out.push(c.green(`✔ ${fixedCount} fix${fixedCount === 1 ? '' : 'es'} applied.`));
      if (total === 0) {
        out.push(c.green(`✔ No problems in ${inFiles}.`));
      } else {
        const mark = errors ? c.red.bold('✖') : c.yellow.bold('⚠');
        out.push(`${mark} ${total} problem${total === 1 ? '' : 's'} (${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}) in ${inFiles}`);
        if (safe) out.push(`  ${safe} ${safe === 1 ? 'is' : 'are'} fixable with \`miglint --fix\`.`);
        if (unsafe) out.push(`  ${unsafe} more ${unsafe === 1 ? 'is' : 'are'} fixable with \`miglint --fix --unsafe-fixes\`.`);
      }
      return out.join('\n') + '\n';
    },
  };
};

/** `stylishStream` as a whole report. */
export const stylish: Reporter = wholeReport(stylishStream);

export type { FileReport };

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

/** The marks every finding's block repeats, coloured once per report rather than once per use. */
interface Marks {
  c: ChalkInstance;
  bar: string;
  arrow: string;
  related: string;
  equals: string;
  note: string;
  help: string;
}

function marks(c: ChalkInstance): Marks {
  return { c, bar: c.dim('│'), arrow: c.blue('-->'), related: c.blue(':::'), equals: c.blue('='), note: c.bold('note'), help: c.bold('help') };
}

/** The code frame of a finding: a blank gutter line, the source line, the span underlined; each line ends with a newline. */
function frame(m: Marks, source: SourceText, f: Finding, pad: string, gutter: number): string {
  const c = m.c;
  const raw = source.lineText(f.line);
  const text = raw.includes('\t') ? raw.replace(/\t/g, ' ') : raw;
  const endCol = f.endLine === f.line ? Math.max(f.endColumn, f.column + 1) : text.length + 1;
  const width = Math.max(1, Math.min(endCol, text.length + 1) - f.column);
  const more = f.endLine > f.line ? c.dim(` … to line ${f.endLine}`) : '';
  return `${pad} ${m.bar}\n${c.dim(String(f.line).padStart(gutter))} ${m.bar} ${text}\n${pad} ${m.bar} ${' '.repeat(f.column - 1)}${c.red('^'.repeat(width))}${more}\n`;
}

/**
 * One block per finding, in the style of rustc and ruff: severity and rule, the
 * message, `path:line:column` (clickable in editors and terminals), the code frame,
 * the related places (`::: path:line:column: what is there`), then note, help and fix;
 * written file by file, with the summary at the end.
 */
export const stylishStream: StreamReporter = (context) => {
  const c = makeChalk(context.color);
  const m = marks(c);
  let files = 0;
  let errors = 0;
  let warnings = 0;
  let safe = 0;
  let unsafe = 0;
  return {
    file(file) {
      files++;
      let out = '';
      for (const f of file.findings) {
        if (f.severity === 'error') errors++;
        else warnings++;
        const hasEdits = !!f.fix && f.fix.edits.length > 0;
        if (hasEdits && f.fix!.applicability === 'safe') safe++;
        if (hasEdits && f.fix!.applicability === 'unsafe') unsafe++;
        const sev = f.severity === 'error' ? c.red.bold(`error[${f.ruleId}]`) : c.yellow.bold(`warning[${f.ruleId}]`);
        out += `${sev}${c.bold(`: ${f.message}`)}\n`;
        const gutter = String(f.line).length + 1;
        const pad = ' '.repeat(gutter);
        out += `${pad}${m.arrow} ${file.displayPath}:${f.line}:${f.column}\n`;
        out += frame(m, file.source, f, pad, gutter);
        for (const r of f.related ?? []) {
          const at = file.source.positionAt(r.span.start);
          out += `${pad}${m.related} ${file.displayPath}:${at.line}:${at.column}: ${r.message}\n`;
        }
        if (f.note) out += `${pad} ${m.equals} ${m.note}: ${f.note}\n`;
        if (f.help) out += `${pad} ${m.equals} ${m.help}: ${f.help}\n`;
        if (f.fix) out += `${pad} ${m.equals} ${c.bold(`fix (${f.fix.applicability})`)}: ${f.fix.title}\n`;
        out += '\n';
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

/**
 * Which direction (up or down) each part of a `.sql` migration belongs to, by the
 * conventions of the runners that have them:
 * - a whole file by its name: `*.down.sql` / `*.up.sql` (golang-migrate, sqlx, pop, with pop's
 *   `.autocommit.` and dialect parts), diesel's `down.sql` / `up.sql`, Flyway's undo migrations
 *   `U<version>__<description>.sql` (`undoSqlMigrationPrefix`, default `U`), db-migrate's
 *   `migrations/sqls/<timestamp>-<name>-down.sql`;
 * - sections inside a file: dbmate's `-- migrate:up` / `-- migrate:down`, goose's
 *   `-- +goose Up` / `-- +goose Down` (both at the start of a line).
 * Everything else is `up`. Section markers, when a file has them, win over its name.
 */
import { basename, dirname } from 'node:path';
import type { Span } from '../core/diagnostic.js';
import type { Phase } from '../core/unit.js';
import type { SqlComment } from '../sql/parse.js';
import { atLineStart, DBMATE_SECTION, GOOSE_ANNOTATION } from './sql-runners.js';
import { partitionPoint } from '../core/search.js';

/** The direction a file's name gives it, or null when the name says nothing. */
export function fileDirection(file: string): Phase | null {
  const name = basename(file);
  const lower = name.toLowerCase();
  if (lower.endsWith('.down.sql') || lower === 'down.sql') return 'down';
  if (lower.endsWith('.up.sql') || lower === 'up.sql') return 'up';
  if (/^U\d+(?:[._]\d+)*__.*\.sql$/.test(name)) return 'down';
  if (lower.endsWith('-down.sql') && basename(dirname(file)) === 'sqls') return 'down';
  return null;
}

export interface Directions {
  /** Where each direction's text is; covers the whole file, or is empty for a file that is all `up`. */
  regions: { phase: Phase; span: Span }[];
  /** The direction of the text at a UTF-16 offset. */
  phaseAt(offset: number): Phase;
}

/** The section markers of a file, in order: where each starts and which direction follows it. */
function markers(text: string, comments: SqlComment[]): { phase: Phase; start: number }[] {
  const out: { phase: Phase; start: number }[] = [];
  for (const c of comments) {
    const trimmed = c.text.trim();
    const m = DBMATE_SECTION.exec(trimmed) ?? GOOSE_ANNOTATION.exec(trimmed);
    const which = m?.[1]?.toLowerCase();
    if (which !== 'up' && which !== 'down') continue;
    if (atLineStart(text, c)) out.push({ phase: which, start: c.start });
  }
  return out;
}

/** The directions of a `.sql` file's text. */
export function sqlDirections(file: string, text: string, comments: SqlComment[]): Directions {
  const marks = markers(text, comments);
  if (marks.length > 0) {
    const regions: Directions['regions'] = [];
    if (marks[0]!.start > 0) regions.push({ phase: 'up', span: { start: 0, end: marks[0]!.start } });
    marks.forEach((m, i) => regions.push({ phase: m.phase, span: { start: m.start, end: marks[i + 1]?.start ?? text.length } }));
    return {
      regions,
      phaseAt(offset) {
        // The last marker at or before the offset (binary search: a file may have many).
        const lo = partitionPoint(marks, (m) => m.start <= offset);
        return lo === 0 ? 'up' : marks[lo - 1]!.phase;
      },
    };
  }
  const whole = fileDirection(file);
  if (whole === 'down') return { regions: [{ phase: 'down', span: { start: 0, end: text.length } }], phaseAt: () => 'down' };
  return { regions: [], phaseAt: () => 'up' };
}

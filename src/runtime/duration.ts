/**
 * Durations as migrun's options write them: a bare number of seconds (`5`, `0.5`)
 * or a number with a unit (`500ms`, `5s`, `2min`, `1h`), the units PostgreSQL
 * itself accepts for time settings (config-setting.html, "Numeric with Unit").
 */
import { UsageError } from './errors.js';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  min: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration into milliseconds.
 *
 * Shape: `<number>[unit]` with unit one of `ms`, `s`, `sec`, `min`, `h`; no unit means seconds.
 * @param value the text, e.g. `5s`, `500ms`, `2min`, `5`.
 * @param what the option's name, for the error message, e.g. `--lock-timeout`.
 * @returns the duration in ms, rounded to a whole ms.
 * @throws UsageError (exit code 2) when the text is not a duration or is negative.
 */
export function parseDuration(value: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const factor = unit === '' ? 1000 : UNITS[unit];
  if (!m || factor === undefined) {
    throw new UsageError(`${what}: "${value}" is not a duration; write seconds (5) or a number with ms, s, min or h (500ms, 5s, 2min)`);
  }
  return Math.round(Number(m[1]) * factor);
}

/**
 * Parses a non-negative whole number, e.g. `--retries 5`.
 * @throws UsageError when the text is not a whole number.
 */
export function parseCount(value: string, what = 'count'): number {
  if (!/^\s*\d+\s*$/.test(value)) throw new UsageError(`${what}: "${value}" is not a whole number`);
  return Number(value);
}

/** A duration in ms for people: `850ms`, `4.2s`, `3min 12s`, `2h 5min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) {
    const min = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s ? `${min}min ${s}s` : `${min}min`;
  }
  const h = Math.floor(ms / 3_600_000);
  const min = Math.round((ms % 3_600_000) / 60_000);
  return min ? `${h}h ${min}min` : `${h}h`;
}

/** A sleep that resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

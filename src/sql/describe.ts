/** Phrasing of lock facts for diagnostics, in PostgreSQL's terms. Shared by rules and migrun's plan. */
import { describeBlocking } from './lock-modes.js';
import type { LockRequirement } from './locks.js';

/** `"leads"` for `leads`, `"public"."leads"` for `public.leads`. */
export function quoteName(name: string): string {
  // Each dot-separated part in turn, without the arrays of a split, map and join (this runs for most findings' messages).
  let out = '';
  for (let from = 0; ; ) {
    const dot = name.indexOf('.', from);
    const p = dot < 0 ? name.slice(from) : name.slice(from, dot);
    out += isPlaceholder(p) ? '<placeholder>' : `"${p.includes('"') ? p.replace(/"/g, '') : p}"`;
    if (dot < 0) return out;
    out += '.';
    from = dot + 1;
  }
}

/** A name the frontends substituted for a template placeholder or interpolation (`___`, `$1`). */
export function isPlaceholder(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c !== 95 /* _ */ && c !== 36 /* $ */) return false;
  return /^_{3,}$/.test(name) || /^\$\d+$/.test(name);
}

const article = (mode: string) => (/^[AEIOU]/.test(mode) ? 'an' : 'a');

/**
 * E.g. `CREATE INDEX takes a SHARE lock on "leads", which blocks writes (INSERT, UPDATE, DELETE) but not reads`;
 * for an index, what its table gets too (`... on index "i" and a SHARE lock on its table`).
 */
export function lockSentence(lock: LockRequirement): string {
  // A set of tables the statement does not name reads as it is (`tables referencing "accounts"`).
  const name = lock.reach ? lock.relation : quoteName(lock.relation);
  let on = name;
  if (lock.relationKind === 'index') {
    if (lock.tableMode === lock.mode) on = `index ${name} and its table`;
    else if (lock.tableMode === null) on = `index ${name}`;
    else if (lock.tableMode) on = `index ${name} and ${article(lock.tableMode)} ${lock.tableMode} lock on its table`;
    else on = `index ${name} (and possibly its table)`;
  }
  return `${lock.operation} takes ${article(lock.mode)} ${lock.mode} lock on ${on}, which ${describeBlocking(lock.mode)}`;
}

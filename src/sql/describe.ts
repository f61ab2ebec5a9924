/** Phrasing of lock facts for diagnostics, in PostgreSQL's terms. Shared by rules and migrun's plan. */
import { describeBlocking } from './lock-modes.js';
import type { LockRequirement } from './locks.js';

/** `"leads"` for `leads`, `"public"."leads"` for `public.leads`. */
export function quoteName(name: string): string {
  return name
    .split('.')
    .map((p) => (isPlaceholder(p) ? '<placeholder>' : `"${p.replace(/"/g, '')}"`))
    .join('.');
}

/** A name the frontends substituted for a template placeholder or interpolation (`___`, `$1`). */
export function isPlaceholder(name: string): boolean {
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

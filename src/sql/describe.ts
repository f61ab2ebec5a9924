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

/** E.g. `CREATE INDEX takes a SHARE lock on "leads", which blocks writes (INSERT, UPDATE, DELETE) but not reads`. */
export function lockSentence(lock: LockRequirement): string {
  const on = lock.relationKind === 'index' ? `index ${quoteName(lock.relation)} and its table` : quoteName(lock.relation);
  return `${lock.operation} takes ${/^[AEIOU]/.test(lock.mode) ? 'an' : 'a'} ${lock.mode} lock on ${on}, which ${describeBlocking(lock.mode)}`;
}

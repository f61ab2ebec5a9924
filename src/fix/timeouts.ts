/**
 * The check and fix shared by `require-lock-timeout` and `require-statement-timeout`:
 * both look for the first statement of each migration phase that takes a lock
 * blocking reads or writes of an existing table while the timeout is not set.
 *
 * PostgreSQL behaviour relied on: a lock request waits in the queue for as long as
 * lock_timeout allows (0 = forever), and while it waits every later request that
 * conflicts with it waits behind it (explicit-locking.html; runtime-config-client.html#GUC-LOCK-TIMEOUT).
 */
import type { Diagnostic } from '../core/diagnostic.js';
import type { LintSettings } from '../core/rule.js';
import type { MigrationUnit, Phase, StatementContext } from '../core/unit.js';
import { lockSentence } from '../sql/describe.js';
import { classify } from '../sql/classify.js';
import { blocksReads, blocksWrites } from '../sql/lock-modes.js';
import { locksOf, type LockRequirement } from '../sql/locks.js';
import { isCreatedTable } from '../sql/names.js';

type Timeout = 'lock_timeout' | 'statement_timeout';

/** The first of `locks` that blocks reads or writes of a table that existed before this migration (`context`: the statement's). */
export function blockingLock(locks: LockRequirement[], context: StatementContext): LockRequirement | undefined {
  return locks.find((l) => (blocksReads(l.mode) || blocksWrites(l.mode)) && !(l.relationKind !== 'index' && isCreatedTable(l.target, context)));
}

export function timeoutCheck(unit: MigrationUnit, settings: LintSettings, name: Timeout): Diagnostic[] {
  const ruleId = name === 'lock_timeout' ? 'require-lock-timeout' : 'require-statement-timeout';
  const value = name === 'lock_timeout' ? settings.lockTimeout : settings.statementTimeout;
  const seen = new Set<Phase>();
  const out: Diagnostic[] = [];
  for (const s of unit.statements) {
    if (seen.has(s.phase)) continue;
    const set = name === 'lock_timeout' ? s.context.lockTimeoutSet : s.context.statementTimeoutSet;
    if (set) continue;
    const lock = blockingLock(locksOf(s.node, settings.pgVersion), s.context);
    if (!lock) continue;
    seen.add(s.phase);
    const later = unit.statements.filter((o) => o !== s && o.phase === s.phase && o.span.start > s.span.start && !(name === 'lock_timeout' ? o.context.lockTimeoutSet : o.context.statementTimeoutSet) && blockingLock(locksOf(o.node, settings.pgVersion), o.context)).length;
    const why =
      name === 'lock_timeout'
        ? 'Without lock_timeout it waits for the lock as long as it takes, and every query on the table queues behind it: one long transaction or idle-in-transaction session stalls the application.'
        : 'Without statement_timeout a slow rewrite or scan holds that lock for as long as it runs.';
    const edits = unit.edits.insertStatementBefore?.(s, `SET ${name} = '${value}'`) ?? null;
    // A SET the code did send, but through a pool: say why it does not count.
    const pooledSet = unit.statements.find((o) => o.phase === s.phase && o.span.start < s.span.start && o.connection === null && s.connection === null && o.batch !== s.batch && classify(o.node).setting?.name === name);
    const pooledNote = pooledSet ? ` (the SET ${name} on line ${unit.source.positionAt(pooledSet.span.start).line} went through a pool, so it may have reached another connection)` : '';
    out.push({
      ruleId,
      message: `${lock.operation} runs with no ${name} set${pooledNote}${later ? ` (and ${later} more such statement${later > 1 ? 's' : ''} after it)` : ''}.`,
      note: `${lockSentence(lock)}. ${why}`,
      help:
        name === 'lock_timeout'
          ? `Run SET lock_timeout = '${value}' first (or let migrun execute the migration: it sets it), and retry when it fails with lock_not_available (55P03).`
          : `Run SET statement_timeout = '${value}' first (or let migrun execute the migration: it sets it); a statement that runs longer fails with query_canceled (57014) and its transaction rolls back.`,
      span: s.span,
      fix: edits
        ? { title: `Insert SET ${name} = '${value}' before it`, applicability: 'safe' as const, edits }
        : {
            title: `Set ${name} on the connection the migration runs on (a SET sent through a pool may land on another connection): e.g. the connection option options: '-c ${name}=${value}'`,
            applicability: 'display-only' as const,
            edits: [],
          },
    });
  }
  return out;
}

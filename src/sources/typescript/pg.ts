/**
 * Raw node-postgres (and anything else without a migration framework): SQL
 * passed to `client.query` / `pool.query` runs in autocommit, one statement
 * string at a time, unless the code sends `BEGIN` itself, or ley (read from the project's
 * package.json) runs the migration: it wraps the whole run in one transaction on one Client.
 */
import { unwrap } from './literals.js';
import { Node } from './morph.js';
import { sourceOf } from './session-fix.js';
import { methodCall } from './sqlgen.js';
import type { FrameworkSupport } from './types.js';

export const pg: FrameworkSupport = {
  framework: 'pg',
  name: 'node-postgres',
  detect: { weakParams: ['pool', 'client'], weakImports: /^(pg|pg-pool)(\/|$)/, rawQueries: true },
  sessionKinds: { 'pool-client': 'pooled connection' },
  sessionCode: {
    'pool-client': (n, q, { newClient }) => ({ rollback: `await ${n}.query(${q('ROLLBACK')})`, guardedRollback: `await ${n}.query(${q('ROLLBACK')})`, commit: `await ${n}.query(${q('COMMIT')})`, release: newClient ? `await ${n}.end()` : `${n}.release()` }),
  },
  // `new Client()`, `await pool.connect()`.
  sessionOpening(e, awaited) {
    if (Node.isNewExpression(e) && /(^|\.)Client$/.test(e.getExpression().getText())) return { kind: 'pool-client', opensTransaction: false };
    const connects = Node.isCallExpression(e) && methodCall(e)?.method === 'connect' && e.getArguments().length === 0;
    return connects && awaited ? { kind: 'pool-client', opensTransaction: false } : null;
  },
  // The check goes to the pool the client was checked out of: autocommit, no connection held.
  moveCheck(u, check) {
    if (u.kind !== 'pool-client') return null;
    const mc = methodCall(check);
    const source = sourceOf(u);
    if (!mc || !source || unwrap(mc.receiver).getText() !== u.name) return null;
    return { path: `\`${source}.${mc.method}(...)\` (autocommit, no connection held)`, edits: [{ start: mc.receiver.getStart(), end: mc.receiver.getEnd(), text: source }] };
  },
  wrapped(env) {
    // ley with its pg driver (when the project has no postgres.js) sends BEGIN, runs every pending migration on its one Client, then COMMIT.
    if (env.runner?.name === 'ley') return { inTransaction: true, reason: `ley runs all pending migrations in one transaction (BEGIN ... COMMIT) on one node-postgres Client, per ${env.runner.detectedBy}` };
    return { inTransaction: false, reason: 'node-postgres runs each query in autocommit unless the code sends BEGIN' };
  },
};

export const unknownFramework: FrameworkSupport = {
  framework: 'unknown',
  wrapped() {
    return { inTransaction: false, reason: 'no migration framework recognised: each query runs on its own' };
  },
};

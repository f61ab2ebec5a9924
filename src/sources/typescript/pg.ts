/**
 * Raw node-postgres (and anything else without a migration framework): SQL
 * passed to `client.query` / `pool.query` runs in autocommit, one statement
 * string at a time, unless the code sends `BEGIN` itself.
 */
import type { FrameworkSupport } from './types.js';

export const pg: FrameworkSupport = {
  framework: 'pg',
  name: 'node-postgres',
  detect: { weakParams: ['pool', 'client'], weakImports: /^(pg|pg-pool)(\/|$)/, rawQueries: true },
  sessionKinds: { 'pool-client': 'pooled connection' },
  sessionCode: {
    'pool-client': (n, q, { newClient }) => ({ rollback: `await ${n}.query(${q('ROLLBACK')})`, guardedRollback: `await ${n}.query(${q('ROLLBACK')})`, commit: `await ${n}.query(${q('COMMIT')})`, release: newClient ? `await ${n}.end()` : `${n}.release()` }),
  },
  wrapped() {
    return { inTransaction: false, reason: 'node-postgres runs each query in autocommit unless the code sends BEGIN' };
  },
};

export const unknownFramework: FrameworkSupport = {
  framework: 'unknown',
  wrapped() {
    return { inTransaction: false, reason: 'no migration framework recognised: each query runs on its own' };
  },
};

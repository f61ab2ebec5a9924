/**
 * The settings in force before each statement (lock_timeout, statement_timeout,
 * search_path, ...), per connection and transaction block.
 *
 * PostgreSQL behaviour relied on (sql-set.html, sql-reset.html, sql-discard.html,
 * functions-admin.html#FUNCTIONS-ADMIN-SET):
 * - `SET` (and `set_config(name, value, false)`) lasts for the session; inside a
 *   transaction block it also replaces an earlier `SET LOCAL` of the same setting;
 * - `SET LOCAL` (`set_config(..., true)`) lasts until the end of the current
 *   transaction, and has no effect outside a transaction block;
 * - `RESET name` / `SET name TO DEFAULT` go back to the default; `RESET ALL` and
 *   `DISCARD ALL` reset every setting.
 * Not modelled: a ROLLBACK undoing a session-level `SET` made inside the
 * rolled-back transaction (the setting is then taken to hold: errs towards "set").
 */
import type { ClientSetting } from '../core/unit.js';
import { isZeroTimeout, type SettingChange } from './classify.js';

/** One setting in force. */
export interface SettingFact {
  /** The value as written (`'5s'` → `5s`); for `source: 'runtime'`, a description of who sets it. */
  value: string;
  /**
   * `session`: a SET; `local`: a SET LOCAL of the open transaction; `runtime`: the executor sets it (migrun);
   * `client`: the client library opens every connection with it (`MigrationUnit.clientSettings`).
   */
  source: 'session' | 'local' | 'runtime' | 'client';
  /** UTF-16 offset in the file of the statement that set it; null for `runtime` and `client`. */
  at: number | null;
}

/** Setting name (lower case) → what is in force. Absent: the server's default. */
export type SettingsInForce = ReadonlyMap<string, SettingFact>;

/** Whether a timeout setting is in force with a non-zero value (`0` disables a timeout: runtime-config-client.html). */
export function timeoutInForce(settings: SettingsInForce, name: 'lock_timeout' | 'statement_timeout' | 'idle_in_transaction_session_timeout'): boolean {
  const s = settings.get(name);
  return s !== undefined && (s.source === 'runtime' || !isZeroTimeout(s.value));
}

const EMPTY: SettingsInForce = new Map();
const NONE: readonly never[] = [];

/** Tracks settings as statements run; `current` gives the map a statement sees. */
export class SettingsTracker {
  private readonly session = new Map<string, Map<string, SettingFact>>();
  private readonly local = new Map<string, Map<string, SettingFact>>();
  /** The last map `current` built and what it was built from: statements between two changes share it (each statement's facts keep one). */
  private last: { key: string; runtime: readonly string[]; client: readonly ClientSetting[]; map: SettingsInForce } | null = null;

  /**
   * The settings a statement sees.
   * @param connection its session's key (context.ts `connectionKey`).
   * @param transaction the key of the transaction open on its connection (context.ts uses the connection's key), null in autocommit.
   * @param runtime settings the executor sets for it (migrun's timeouts).
   * @param client settings every connection starts with (`MigrationUnit.clientSettings`): a session's own SET or RESET replaces them.
   */
  current(connection: string, transaction: string | null, runtime: readonly string[] = NONE, client: readonly ClientSetting[] = NONE): SettingsInForce {
    const session = this.session.get(connection);
    const local = transaction !== null ? this.local.get(transaction) : undefined;
    if (!session && !local && runtime.length === 0 && client.length === 0) return EMPTY;
    const key = `${connection}\0${transaction ?? ''}`;
    const last = this.last;
    if (last && last.key === key && last.runtime === runtime && last.client === client) return last.map;
    const out = new Map<string, SettingFact>();
    // Beneath the session's own: `RESET x` (which drops it from the session map) returns to the connection's startup value (sql-reset.html).
    for (const c of client) out.set(c.name, { value: c.value, source: 'client', at: null });
    for (const [k, v] of session ?? []) out.set(k, v);
    for (const [k, v] of local ?? []) out.set(k, v);
    for (const name of runtime) if (!out.has(name) || !timeoutInForce(out, name as 'lock_timeout')) out.set(name, { value: 'set by migrun', source: 'runtime', at: null });
    this.last = { key, runtime, client, map: out };
    return out;
  }

  /** Applies a SET / RESET / set_config (classify.ts `SettingChange`) run at file offset `at`. */
  apply(change: SettingChange, connection: string, transaction: string | null, at: number): void {
    this.last = null;
    const name = change.name;
    if (change.local) {
      if (transaction === null) return;
      const m = this.local.get(transaction) ?? new Map<string, SettingFact>();
      if (change.value === null) m.delete(name);
      else m.set(name, { value: change.value, source: 'local', at });
      this.local.set(transaction, m);
      return;
    }
    if (transaction !== null) this.local.get(transaction)?.delete(name);
    const m = this.session.get(connection) ?? new Map<string, SettingFact>();
    if (change.value === null) m.delete(name);
    else m.set(name, { value: change.value, source: 'session', at });
    this.session.set(connection, m);
  }

  /** `RESET ALL` / `DISCARD ALL` on a connection. */
  resetAll(connection: string, transaction: string | null): void {
    this.last = null;
    this.session.delete(connection);
    if (transaction !== null) this.local.delete(transaction);
  }

  /** A transaction block ended (COMMIT, ROLLBACK, PREPARE TRANSACTION): its `SET LOCAL`s end with it. */
  endTransaction(transaction: string | null): void {
    this.last = null;
    if (transaction !== null) this.local.delete(transaction);
  }
}

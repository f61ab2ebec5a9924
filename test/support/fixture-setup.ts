/**
 * The setup a rule's bad SQL fixture needs before its statements can run on a
 * real server (test/rule-locks.test.ts): the tables, indexes and types it names.
 *
 * Convention (pick any, they add up, in this order):
 * - `fixtures/rules/<rule-id>/setup.sql`: SQL run before every fixture of the folder;
 * - `fixtures/rules/<rule-id>/<fixture>.setup` (e.g. `bad.drizzle.sql.setup`): SQL run
 *   before that fixture only, where fixtures of one folder need different tables; it
 *   leaves the fixture and its snapshot as they are;
 * - lines of the fixture itself that start with `-- setup:`, anywhere in the file,
 *   in order: `-- setup: CREATE TABLE leads (id bigint PRIMARY KEY, email text);`.
 *   They are comments, so miglint does not lint them and the fixture's snapshot
 *   shows them as written.
 * The setup runs in its own committed transaction in a fresh database, so it may
 * create schemas, types and tables freely.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from './paths.js';

/** The setup SQL of fixture `file` of rule `id`, whose text is `text` (see the module comment); `''` when there is none. */
export function fixtureSetup(id: string, text: string, file?: string): string {
  const read = (name: string) => {
    const path = join(fixturesDir, 'rules', id, name);
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };
  const shared = [read('setup.sql'), file ? read(`${file}.setup`) : ''].filter((s) => s.trim()).join(';\n');
  const own = text
    .split(/\r?\n/)
    .flatMap((l) => {
      const m = /^\s*--\s*setup:\s?(.*)$/.exec(l);
      return m ? [m[1]!] : [];
    })
    .join('\n');
  return [shared, own].filter((s) => s.trim()).join(';\n');
}

/** File discovery: each file once by real path, only regular files from a walk, and what it skipped said with --debug. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { discoverFiles, UsageError } from '../src/lint/discover.js';

/** A folder: `a.sql`, `sub/b.sql`, a link `sub/loop -> ..` (a loop), `alias.sql -> a.sql`, a FIFO, a link to the FIFO, `x.rb`. */
function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-discover-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.sql'), 'SELECT 1;\n');
  writeFileSync(join(dir, 'sub', 'b.sql'), 'SELECT 2;\n');
  writeFileSync(join(dir, 'x.rb'), 'puts 1\n');
  symlinkSync('..', join(dir, 'sub', 'loop'));
  symlinkSync('a.sql', join(dir, 'alias.sql'));
  execFileSync('mkfifo', [join(dir, 'pipe.sql')]);
  symlinkSync('pipe.sql', join(dir, 'to-pipe.sql'));
  return dir;
}

describe('discoverFiles', () => {
  test('a file reached under several paths (a link, a loop of links) is listed once, under the first path', async () => {
    const dir = tree();
    const debug: string[] = [];
    const files = await discoverFiles([dir], dir, [], { debug: (m) => debug.push(m) });
    assert.deepEqual(files.map((f) => relative(dir, f)), ['a.sql', 'sub/b.sql']);
    assert.ok(debug.includes('alias.sql: the same file as a.sql, linted once'), debug.join('\n'));
    assert.ok(debug.includes('sub/loop/a.sql: the same file as a.sql, linted once'), debug.join('\n'));
  });
  test('the first path named is the one kept, whatever its name sorts as', async () => {
    const dir = tree();
    const files = await discoverFiles(['sub/loop/sub/b.sql', 'sub'], dir);
    // Walking sub/ meets a.sql only through the loop.
    assert.deepEqual(files.map((f) => relative(dir, f)), ['sub/loop/a.sql', 'sub/loop/sub/b.sql']);
  });
  test('a file named through a linked folder and met again by a walk of its real folder is listed once; hard links are two files', async () => {
    const dir = tree();
    symlinkSync('sub', join(dir, 'via'));
    linkSync(join(dir, 'sub', 'b.sql'), join(dir, 'hard.sql'));
    const debug: string[] = [];
    const files = await discoverFiles(['via/b.sql', 'sub', 'hard.sql'], dir, [], { debug: (m) => debug.push(m) });
    // The walk of sub/ meets a.sql and hard.sql through its loop first; hard.sql and b.sql (one inode, two real paths) are both listed.
    assert.deepEqual(files.map((f) => relative(dir, f)), ['sub/loop/a.sql', 'sub/loop/hard.sql', 'via/b.sql']);
    assert.ok(debug.includes('sub/b.sql: the same file as via/b.sql, linted once'), debug.join('\n'));
  });
  test('a walk skips FIFOs and links to them, and says so with --debug', async () => {
    const dir = tree();
    const debug: string[] = [];
    const files = await discoverFiles(['.'], dir, [], { debug: (m) => debug.push(m) });
    assert.ok(!files.some((f) => /pipe/.test(f)));
    assert.ok(debug.includes('pipe.sql: skipped: a FIFO (named pipe), not a regular file'), debug.join('\n'));
    assert.ok(debug.includes('to-pipe.sql: skipped: a FIFO (named pipe), not a regular file'), debug.join('\n'));
  });
  test('a file named explicitly is listed whatever it is: reading it reports what it is', async () => {
    const dir = tree();
    const files = await discoverFiles(['pipe.sql', 'x.rb'], dir);
    assert.deepEqual(files.map((f) => relative(dir, f)), ['pipe.sql', 'x.rb']);
  });
  test('a walk skips files miglint does not read; a glob that matches only such files is a usage error', async () => {
    const dir = tree();
    assert.ok(!(await discoverFiles(['.'], dir)).some((f) => f.endsWith('.rb')));
    await assert.rejects(discoverFiles(['*.rb'], dir), (e: Error) => e instanceof UsageError && /"\*\.rb" matches only files miglint does not read \(it reads \.sql, \.ts/.test(e.message));
    await assert.rejects(discoverFiles(['none/*.sql'], dir), /no files match "none\/\*\.sql"/);
  });
  test('a walk or a glob leaves out pop migrations named for another database, and says so with --debug; named explicitly, they are linted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'miglint-discover-'));
    const names = ['1_a.postgres.up.sql', '1_a.mysql.up.sql', '1_a.sqlite3.down.sql', '1_a.cockroach.up.sql', '2_b.up.sql', '3_c.autocommit.up.sql'];
    for (const n of names) writeFileSync(join(dir, n), 'SELECT 1;\n');
    const debug: string[] = [];
    const walked = await discoverFiles(['.'], dir, [], { debug: (m) => debug.push(m) });
    assert.deepEqual(walked.map((f) => relative(dir, f)), ['1_a.postgres.up.sql', '2_b.up.sql', '3_c.autocommit.up.sql']);
    assert.ok(debug.includes('1_a.mysql.up.sql: skipped: its name says it is a migration for MySQL (pop runs it only there), not for PostgreSQL'), debug.join('\n'));
    assert.deepEqual((await discoverFiles(['*.sql'], dir)).map((f) => relative(dir, f)), ['1_a.postgres.up.sql', '2_b.up.sql', '3_c.autocommit.up.sql']);
    assert.deepEqual((await discoverFiles(['1_a.mysql.up.sql'], dir)).map((f) => relative(dir, f)), ['1_a.mysql.up.sql']);
  });
});

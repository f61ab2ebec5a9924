/** Reading a run's files a batch ahead: each file's read is the one `readSource` makes, and `lastRead` speaks of it when used. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigLoader } from '../src/config/index.js';
import { ReadAhead } from '../src/lint/read-ahead.js';
import { lastRead, readSource } from '../src/lint/read.js';
import { prepareFrontends } from '../src/sources/index.js';
import { knownRules } from './support/lint.js';

/** A folder of 80 files of every kind a read can meet, listed in lint order. */
function folder(): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-ahead-'));
  const files: string[] = [];
  const add = (name: string, content: string | Buffer | null) => {
    const path = join(dir, name);
    if (content !== null) writeFileSync(path, content);
    files.push(path);
  };
  for (let i = 0; i < 80; i++) {
    const n = String(i).padStart(3, '0');
    if (i === 5) add(`${n}_latin1.sql`, Buffer.from([0x53, 0x45, 0x4c, 0xe9, 0x3b]));
    else if (i === 9) add(`${n}_gone.sql`, null);
    else if (i === 12) add(`${n}_notes.txt`, 'not a migration');
    else if (i === 20) add(`${n}_big.sql`, `-- ${'x'.repeat(1_100_000)}\nSELECT 1;\n`);
    else add(`${n}_m.sql`, `SELECT ${i}; -- é\n`);
  }
  execFileSync('mkfifo', [join(dir, '030_pipe.sql')]);
  files.splice(30, 0, join(dir, '030_pipe.sql'));
  // A folder whose configuration sets a small limit, and one whose configuration is invalid.
  mkdirSync(join(dir, 'small'));
  writeFileSync(join(dir, 'small', '.miglintrc.json'), JSON.stringify({ maxFileSize: 8 }));
  writeFileSync(join(dir, 'small', '1.sql'), 'SELECT 1; SELECT 2;\n');
  files.push(join(dir, 'small', '1.sql'));
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', '.miglintrc.json'), JSON.stringify({ maxFileSize: 'large' }));
  writeFileSync(join(dir, 'bad', '1.sql'), 'SELECT 1;\n');
  files.push(join(dir, 'bad', '1.sql'));
  for (let i = 0; i < 3; i++) {
    writeFileSync(join(dir, `zz${i}.sql`), `SELECT ${i};\n`);
    files.push(join(dir, `zz${i}.sql`));
  }
  return { dir, files };
}

describe('reading ahead', () => {
  test('every file gets the read and the lastRead that reading it alone gives, whatever it is', async () => {
    const { files } = folder();
    await prepareFrontends(files);
    const loader = new ConfigLoader(knownRules);
    const ahead = new ReadAhead(files, loader, null);
    let compared = 0;
    for (const [i, file] of files.entries()) {
      const max = await loader.forFile(file).then(
        (c) => c.maxFileSize,
        () => 1000, // the invalid configuration's file: the caller stops there; read with some limit all the same
      );
      const got = await ahead.read(i, max);
      const record = lastRead();
      assert.deepEqual(got, await readSource(file, max), file);
      // What the SQL history relies on: the text just used, with its file's size and mtime; nothing after a failed or non-UTF-8 read.
      const st = got.ok && !got.invalidUtf8 ? statSync(file) : null;
      assert.deepEqual(record, got.ok && st ? { file, text: got.text, size: st.size, mtimeMs: st.mtimeMs } : null, `lastRead after ${file}`);
      compared++;
    }
    assert.equal(compared, files.length);
  });

  test('a read asked for with another limit than the one it was made with is made again with that limit', async () => {
    const { files } = folder();
    const ahead = new ReadAhead(files, new ConfigLoader(knownRules), null);
    const r = await ahead.read(0, 3);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /over the maxFileSize limit of 3 bytes/);
  });

  test('the files after the one asked for are read then, in batches: a later change is seen only past the batch', async () => {
    const { files } = folder();
    await prepareFrontends(files);
    const loader = new ConfigLoader(knownRules);
    const ahead = new ReadAhead(files, loader, null);
    const max = (await loader.forFile(files[0]!)).maxFileSize;
    await ahead.read(0, max);
    // Changed after the first batch was read: file 3 is in it (its old text), file 50 is not (the new one).
    writeFileSync(files[3]!, 'SELECT 300;\n');
    writeFileSync(files[50]!, 'SELECT 500;\n');
    unlinkSync(files[4]!);
    assert.deepEqual(await ahead.read(3, max), { ok: true, text: 'SELECT 3; -- é\n', invalidUtf8: null });
    assert.equal((await ahead.read(4, max)).ok, true, 'read before it was removed');
    assert.deepEqual(await ahead.read(50, max), { ok: true, text: 'SELECT 500;\n', invalidUtf8: null });
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FileMemo, MemoStore, withFileMemo } from '../src/core/file-memo.js';

describe('per-lint memos', () => {
  test('a value set during a lint is kept for that lint, nested runs included, and is gone in the next lint', () => {
    const memo = new FileMemo<object, string>();
    const key = {};
    withFileMemo(() => {
      assert.equal(memo.get(key), undefined);
      memo.set(key, 'first');
      assert.equal(memo.get(key), 'first');
      // A lint inside a lint (a fix loop's) shares the outer one's tables.
      withFileMemo(() => assert.equal(memo.get(key), 'first'));
      assert.equal(memo.get(key), 'first');
    });
    withFileMemo(() => assert.equal(memo.get(key), undefined));
  });

  test('the tables are let go when the outermost lint ends, also when it throws', () => {
    const memo = new FileMemo<object, number>();
    const key = {};
    assert.throws(() =>
      withFileMemo(() => {
        memo.set(key, 1);
        throw new Error('stop');
      }),
    /stop/);
    assert.equal(memo.get(key), undefined);
    withFileMemo(() => {
      memo.set(key, 2);
    });
    // Outside any lint: nothing of the last lint is left.
    assert.equal(memo.get(key), undefined);
  });

  test('outside any lint one table is kept from call to call, until a lint starts', () => {
    const memo = new FileMemo<object, number>();
    const key = {};
    memo.set(key, 7);
    assert.equal(memo.get(key), 7);
    withFileMemo(() => assert.equal(memo.get(key), undefined));
  });

  test('a value is not kept after its lint, though its key and the memo live on', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const memo = new FileMemo<object, object>();
    const key = {};
    const ref = withFileMemo(() => new WeakRef(memo.set(key, { large: new Array(1000).fill(0) })));
    // A WeakRef holds its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(ref.deref(), undefined);
    assert.ok(key);
  });

  test('a store given to each lint of a document keeps its tables from one lint to the next; another store or none starts afresh', () => {
    const memo = new FileMemo<object, string>();
    const key = {};
    const kept = new MemoStore();
    withFileMemo(() => memo.set(key, 'first'), kept);
    assert.equal(withFileMemo(() => memo.get(key), kept), 'first');
    assert.equal(withFileMemo(() => memo.get(key)), undefined);
    assert.equal(withFileMemo(() => memo.get(key), new MemoStore()), undefined);
    // A lint inside one with a store uses the outer tables, whatever it is given.
    assert.equal(withFileMemo(() => withFileMemo(() => memo.get(key), new MemoStore()), kept), 'first');
    assert.equal(memo.get(key), undefined, 'outside any lint');
  });
});

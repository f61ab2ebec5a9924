import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ambient } from '../src/core/ambient.js';

describe('ambient values', () => {
  test('a run puts its value in force for the calls it makes, and the outer one back after it, nested or thrown out of', () => {
    const a = ambient<string | null>(null);
    const seen: (string | null)[] = [a.current];
    const result = a.run('outer', () => {
      seen.push(a.current);
      assert.throws(() =>
        a.run('inner', () => {
          seen.push(a.current);
          throw new Error('stop');
        }),
      /stop/);
      seen.push(a.current);
      return a.run('second', () => a.current);
    });
    seen.push(a.current);
    assert.equal(result, 'second');
    assert.deepEqual(seen, [null, 'outer', 'inner', 'outer', null]);
  });

  test('two ambient values are independent', () => {
    const a = ambient(1);
    const b = ambient(2);
    assert.deepEqual(a.run(10, () => [a.current, b.current]), [10, 2]);
  });
});

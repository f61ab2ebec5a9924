/**
 * The analysis loop reads a plain `receiver.query('...')` on the compiler's nodes (`plainRawQuery`)
 * where the framework modules declare their hooks cannot claim it (`builderMayClaim`,
 * `rawQueryOnlyInOwnUnits`). Every TS/JS file of the fixtures gives the same unit, and the same
 * fix edits, as with those declarations taken away (every call asked of the hooks, with wrappers).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { MigrationUnit } from '../../src/core/unit.js';
import { FRAMEWORKS } from '../../src/sources/typescript/frameworks.js';
import type { FrameworkSupport } from '../../src/sources/typescript/types.js';
import { initSqlParser, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

/** `read()` with the modules' declarations for the plain-query reading taken away. */
function withoutPlainReading<T>(read: () => T): T {
  type Declarations = Pick<FrameworkSupport, 'builderMayClaim' | 'rawQueryOnlyInOwnUnits'>;
  const saved = FRAMEWORKS.map((f) => ({ builderMayClaim: f.builderMayClaim, rawQueryOnlyInOwnUnits: f.rawQueryOnlyInOwnUnits }));
  for (const f of FRAMEWORKS as Array<FrameworkSupport & Declarations>) {
    delete f.builderMayClaim;
    delete f.rawQueryOnlyInOwnUnits;
  }
  try {
    return read();
  } finally {
    FRAMEWORKS.forEach((f, i) => Object.assign(f, saved[i]));
  }
}

/** The unit's facts, and the edits each statement's fixes would ask for (computed while its tree is alive). */
function reading(file: string, text: string) {
  const unit: MigrationUnit = unitOf(text, file);
  const { edits, release, statements, ...facts } = unit;
  // A statement's offset map as its values at every offset of its SQL.
  const mapped = statements.map(({ sqlToFile, ...s }) => ({ ...s, sqlToFile: sqlToFile && Array.from({ length: s.sql.length + 1 }, (_, i) => sqlToFile(i)) }));
  const asked = statements.map((s) => [edits.insertStatementBefore?.(s, 'SET lock_timeout = 1'), edits.insertStatementJustBefore?.(s, 'SET lock_timeout = 1')]);
  release?.();
  return { facts, statements: mapped, asked };
}

function* scripts(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') yield* scripts(p);
    else if (e.isFile() && /\.[cm]?[jt]sx?$/.test(e.name) && !/\.d\.ts$/.test(e.name)) yield p;
  }
}

describe('plain raw queries', () => {
  test('every TS/JS fixture reads the same with and without the plain-query reading', () => {
    let files = 0;
    let statements = 0;
    for (const file of scripts('fixtures')) {
      const text = readFileSync(file, 'utf8');
      const plain = reading(file, text);
      const asked = withoutPlainReading(() => reading(file, text));
      assert.deepEqual(plain, asked, file);
      files++;
      statements += plain.statements.length;
    }
    assert.ok(files > 300 && statements > 1000, `${files} files, ${statements} statements`);
  });
});

/**
 * Hostile and large SQL input: NUL bytes, files of many megabytes, and the lexer
 * that finds statement boundaries and comments in one pass (checked against
 * PostgreSQL's own scanner).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { scanSync } from 'libpg-query';
import { lexSql, TERMINATOR } from '../src/sql/lex.js';
import { initSqlParser, parseSql, PARSE_CHUNK_BYTES } from '../src/sql/parse.js';
import { lintText } from '../src/lint/engine.js';
import { loadUnit } from '../src/sources/index.js';
import { rules } from '../rules/index.js';
import { config, lint } from './support/lint.js';
import { fixturesDir } from './support/paths.js';

await initSqlParser();

const at = (f: { ruleId: string; line: number; column: number }) => `${f.ruleId}@${f.line}:${f.column}`;

describe('NUL bytes', () => {
  test('a NUL is a syntax error at its line and column, and the SQL after it is still analysed', () => {
    const text = "-- header\nSELECT 'a\0b';\nCREATE INDEX idx_after ON leads (a);\n";
    const found = lint('m.sql', text, { rules: ['require-concurrent-index-creation'] });
    assert.deepEqual(found.map(at), ['syntax-error@2:10', 'require-concurrent-index-creation@3:1']);
    assert.match(found[0]!.message, /NUL byte/);
  });
  test('several NULs are one diagnostic at the first, which counts the others', () => {
    const text = 'CREATE INDEX i ON t (a);\n\0\0\0\nCREATE INDEX j ON u (b);\n';
    const r = parseSql(text);
    assert.equal(r.nulCount, 3);
    assert.deepEqual(r.errors.map((e) => e.offset), [text.indexOf('\0')]);
    assert.match(r.errors[0]!.message, /and 2 more/);
    assert.deepEqual(r.statements.map((s) => s.text), ['CREATE INDEX i ON t (a)', 'CREATE INDEX j ON u (b)']);
  });
});

describe('template placeholders', () => {
  test('a Go/Jinja {{ }} right after a dollar-quote tag is blanked, not the tag with it', () => {
    const text = 'CREATE TABLE {{ index .Options "Namespace" }}.t (a int);\nSELECT $q${{ y }}$q$ AS v;\nCREATE INDEX i ON leads (a);\n';
    const found = lint('m.sql', text, { rules: ['require-concurrent-index-creation'] });
    assert.deepEqual(found.map(at), ['require-concurrent-index-creation@3:1']);
  });
});

describe('text that is not SQL as miglint reads it', () => {
  test('a UTF-16 file (a NUL every other byte when read as UTF-8) is one unanalyzable-file error, not a syntax error per character', () => {
    const utf16 = Buffer.from('\ufeffCREATE INDEX i ON t (a);\n', 'utf16le').toString('utf8');
    const found = lint('m.sql', utf16);
    assert.deepEqual(found.map(at), ['unanalyzable-file@1:1']);
    assert.match(found[0]!.message, /NUL bytes.*UTF-16/);
  });
  test('a DO block whose body miglint cannot read is an unanalysed statement, not dropped', () => {
    const text = "DO $$ BEGIN IF THEN END; $$;\nDO LANGUAGE plv8 $js$ plv8.execute('CREATE INDEX i ON t (a)') $js$;\nDO $$ BEGIN CREATE INDEX j ON u (b); END $$;\n";
    const u = loadUnit('m.sql', text, config().settings);
    assert.deepEqual(
      u.unanalysed.map((f) => `${f.scope}@${u.source.positionAt(f.span.start).line}`),
      ['statement@1', 'statement@2'],
    );
    assert.match(u.unanalysed[1]!.message, /plv8/);
    assert.equal(u.statements.filter((s) => 'IndexStmt' in s.node).length, 1, 'the readable block still yields its CREATE INDEX');
  });
});

describe('statement boundaries and comments in one pass', () => {
  const tricky = [
    "SELECT 'a;b', E'it\\'s;', $$ ; $$, $fn$ $$ ; $fn$, \"semi;colon\";",
    'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));',
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;',
    'SELECT a$b$c FROM t; SELECT $1; /* a /* nested ; */ comment */ SELECT 2 -- trailing ; comment\n;',
    "SELECT U&'d\\0061t;a', B'101', X'1f'; SELECT 'שלום 🎉;' AS x;",
    "CREATE PROCEDURE p() BEGIN ATOMIC INSERT INTO t VALUES (1); END; SELECT 'after';",
  ];
  test('statements split as PostgreSQL splits them: quotes, dollar quotes, nested comments, rules, BEGIN ATOMIC', () => {
    const counts = tricky.map((sql) => parseSql(sql));
    for (const r of counts) assert.equal(r.error, null);
    assert.deepEqual(
      counts.map((r) => r.statements.length),
      [1, 1, 1, 3, 2, 2],
    );
    // Each statement's span is exactly its text, first token to last, without the `;`.
    for (const [i, sql] of tricky.entries()) for (const s of counts[i]!.statements) assert.equal(sql.slice(s.start, s.end), s.text);
    assert.deepEqual(
      counts[3]!.statements.map((s) => s.text),
      ['SELECT a$b$c FROM t', 'SELECT $1', 'SELECT 2'],
    );
  });

  /** Every .sql file under fixtures/, and the tricky cases. */
  function corpus(): string[] {
    const out: string[] = [...tricky];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (name.endsWith('.sql')) out.push(readFileSync(path, 'utf8'));
      }
    };
    walk(fixturesDir);
    return out;
  }

  test("the lexer's comments and statement-ending semicolons are PostgreSQL's scanner's", () => {
    let files = 0;
    for (const sql of corpus()) {
      let tokens;
      try {
        tokens = scanSync(sql).tokens;
      } catch {
        continue; // text PostgreSQL's scanner rejects (unterminated quotes): nothing to compare
      }
      files++;
      const lexed = lexSql(sql);
      const bytes = Buffer.from(sql, 'utf8');
      const word = (s: number, e: number) => bytes.subarray(s, e).toString('utf8');
      const theirComments = tokens.filter((t) => t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT').map((t) => word(t.start, t.end));
      assert.deepEqual(lexed.comments.map((c) => c.text), theirComments);
      // Our runs, in bytes, must hold their semicolons exactly where theirs are.
      const theirSemicolons = tokens.filter((t) => t.tokenName === 'ASCII_59').map((t) => t.start);
      const ours: number[] = [];
      for (let r = 0; r < lexed.runs.count; r++) if (lexed.runs.kind[r] !== 0) ours.push(lexed.runs.byteStart[r]!);
      assert.deepEqual(ours, theirSemicolons);
      assert.equal(lexed.bytes, bytes.length);
    }
    assert.ok(files > 40, `compared ${files} files`);
  });
  test('a syntax error in one statement leaves every other statement analysed, and each bad one reported', () => {
    const sql = 'CREATE INDEX a ON t (x);\nCREATE INDX b ON t (y);\nCREATE INDEX c ON t (z);\nALTER TABLE t ADD COLUM d int;\nCREATE INDEX e ON t (w);';
    const r = parseSql(sql);
    assert.deepEqual(r.statements.map((s) => s.text.split(' ')[2]), ['a', 'c', 'e']);
    assert.deepEqual(r.errors.map((e) => sql.slice(e.offset, e.offset + 4)), ['INDX', 'int;']);
  });
  test('a string or quoted name closed by the last character of the text ends there, one run with what it is part of', () => {
    for (const sql of ["SELECT 'a'", 'SELECT "a"', "SELECT E'a\\''", "SELECT x'01'", "SELECT 'it''s'"]) {
      const lexed = lexSql(sql);
      const last = lexed.runs.count - 1;
      assert.deepEqual([lexed.runs.start[last], lexed.runs.end[last], lexed.comments.length], [7, sql.length, 0], sql);
    }
  });
  test('a terminator is only a semicolon at depth 0', () => {
    const lexed = lexSql('SELECT (1; 2); SELECT 3;');
    const kinds: number[] = [];
    for (let r = 0; r < lexed.runs.count; r++) if (lexed.runs.kind[r] !== 0) kinds.push(lexed.runs.kind[r]!);
    assert.deepEqual(kinds.map((k) => k === TERMINATOR), [false, true, true]);
  });
});

describe('large files', () => {
  test('a ~12 MB file (more than ten parser chunks) is analysed to its end, in chunks the parser can hold', () => {
    const parts: string[] = [];
    let size = 0;
    const n = 120_000;
    for (let i = 0; i < n; i++) {
      const stmt =
        i % 50 === 0
          ? `CREATE TABLE t${i} (id bigint PRIMARY KEY, note text); -- טבלה ${i}\n`
          : i === n - 10
            ? 'CREATE INDEX idx_leads_email ON leads (email);\n'
            : `SELECT ${i} AS n; /* ${'padding '.repeat(10)}*/\n`;
      parts.push(stmt);
      size += Buffer.byteLength(stmt);
    }
    const text = parts.join('');
    assert.ok(size > 10 * PARSE_CHUNK_BYTES, `${size} bytes`);
    const { unit, findings } = lintText('big.sql', text, config(), { rules, only: new Set(['require-concurrent-index-creation']) });
    assert.equal(unit!.statements.length, n);
    assert.deepEqual(unit!.syntaxErrors, []);
    assert.deepEqual(unit!.unanalysed, []);
    assert.deepEqual(findings.map(at), [`require-concurrent-index-creation@${n - 9}:1`]);
  });
  test('a file with 130,000 findings of one rule reports every one (more than a call takes as arguments)', () => {
    const n = 130_000;
    const text = Array.from({ length: n }, (_, i) => `CREATE INDEX i${i} ON big (c${i % 40});\n`).join('');
    const { findings } = lintText('dump.sql', text, config(), { rules, only: new Set(['require-concurrent-index-creation']) });
    assert.equal(findings.length, n);
    assert.equal(findings[n - 1]!.line, n);
  });
});

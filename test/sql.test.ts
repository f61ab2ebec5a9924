/** The SQL layer: byte → UTF-16 spans, recovery after syntax errors, classification, locks, contexts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SourceText, Utf8OffsetMap } from '../src/core/source-text.js';
import { classify, isZeroTimeout } from '../src/sql/classify.js';
import { blocksReads, blocksWrites, conflicts, fromPgLocksName, pgLocksName } from '../src/sql/lock-modes.js';
import { locksOf } from '../src/sql/locks.js';
import { initSqlParser, parseSql } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config, lint } from './support/lint.js';
import { parseableSql } from '../src/sources/sql.js';

await initSqlParser();

const node = (sql: string) => parseSql(sql).statements[0]!.node;

describe('SourceText and Utf8OffsetMap', () => {
  test('maps UTF-8 bytes of Hebrew and emoji to UTF-16 offsets', () => {
    const text = '-- שלום 🎉\nX';
    const map = new Utf8OffsetMap(text);
    const xByte = Buffer.byteLength('-- שלום 🎉\n');
    assert.equal(map.toUtf16(xByte), text.indexOf('X'));
    assert.equal(map.toUtf16(Buffer.byteLength(text)), text.length);
  });
  test('positions are 1-based with UTF-16 columns, CRLF and CR aware', () => {
    const s = new SourceText('a\r\nbc🎉d\rZ');
    assert.deepEqual(s.positionAt(0), { line: 1, column: 1 });
    assert.deepEqual(s.positionAt(s.text.indexOf('d')), { line: 2, column: 5 });
    assert.deepEqual(s.positionAt(s.text.indexOf('Z')), { line: 3, column: 1 });
    assert.equal(s.lineText(2), 'bc🎉d');
    assert.equal(s.eol, '\r\n');
    assert.equal(s.offsetAt({ line: 2, column: 3 }), s.text.indexOf('🎉'));
  });
  test('every offset of texts with LF, CRLF and lone CR line ends is placed on the line a split at those ends gives', () => {
    const pieces = ['a', 'bc', '\n', '\r\n', '\r', 'é', '\n\n', ''];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let n = 0; n < 400; n++) {
      const own = n % 2 === 0 ? pieces : pieces.filter((p) => !p.includes('\r'));
      const text = Array.from({ length: next() % 30 }, () => own[next() % own.length]).join('');
      const lines = text.split(/\r\n|\r|\n/);
      const s = new SourceText(text);
      assert.equal(s.lineCount, lines.length, JSON.stringify(text));
      let offset = 0;
      lines.forEach((line, i) => {
        for (let c = 0; c <= line.length; c++) assert.deepEqual(s.positionAt(offset + c), { line: i + 1, column: c + 1 }, `${JSON.stringify(text)} @${offset + c}`);
        assert.equal(s.lineText(i + 1), line);
        offset += line.length + (text.startsWith('\r\n', offset + line.length) ? 2 : 1);
      });
    }
  });
});

describe('parseSql', () => {
  test('statement spans are exact after non-ASCII comments, without stmt_location or the last stmt_len', () => {
    const sql = "-- בדיקה ✅ 🎉\nSELECT 1;  /* é */ CREATE INDEX i ON t (a);\nALTER TABLE t ADD COLUMN b int";
    const r = parseSql(sql);
    assert.equal(r.error, null);
    assert.deepEqual(r.statements.map((s) => s.text), ['SELECT 1', 'CREATE INDEX i ON t (a)', 'ALTER TABLE t ADD COLUMN b int']);
    for (const s of r.statements) assert.equal(sql.slice(s.start, s.end), s.text);
    assert.equal(sql.slice(r.statements[1]!.start, r.statements[1]!.endWithSemicolon), 'CREATE INDEX i ON t (a);');
    assert.deepEqual(r.comments.map((c) => c.text), ['-- בדיקה ✅ 🎉', '/* é */']);
  });
  test('a syntax error is located, and the statements around it are still returned', () => {
    const sql = "SELECT 'ש';\nCREATE INDEX ON t (a;\nDROP INDEX i;";
    const r = parseSql(sql);
    assert.ok(r.error);
    assert.equal(r.error.offset, sql.indexOf('(a;') + 2);
    assert.deepEqual(r.statements.map((s) => s.text), ["SELECT 'ש'", 'DROP INDEX i']);
    const emoji = "SELECT '🎉';\nCREATE INDEX ON t (a;";
    assert.equal(parseSql(emoji).error?.offset, emoji.lastIndexOf(';'));
  });
  test('dollar-quoted bodies with semicolons stay one statement', () => {
    const r = parseSql('DO $$ BEGIN PERFORM 1; END $$; SELECT 2;');
    assert.equal(r.statements.length, 2);
  });
  test('empty and comment-only text has no statements and no error', () => {
    assert.deepEqual(parseSql('').statements, []);
    assert.equal(parseSql('').error, null);
    assert.equal(parseSql(' \n\t').error, null);
    assert.deepEqual(parseSql('-- nothing\n').statements, []);
    assert.equal(parseSql('-- nothing\n').error, null);
  });
  test('accepts the statements safe migrations are made of', () => {
    const r = parseSql(`ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b NOT VALID;
ALTER TABLE a VALIDATE CONSTRAINT f;
REINDEX INDEX CONCURRENTLY i;
CREATE INDEX CONCURRENTLY i2 ON a (x) INCLUDE (y);
ALTER TABLE a ADD CONSTRAINT u UNIQUE USING INDEX i2;`);
    assert.equal(r.error, null);
    assert.equal(r.statements.length, 5);
  });
});

describe('classify', () => {
  test('concurrent index commands cannot run in a transaction block', () => {
    for (const sql of ['CREATE INDEX CONCURRENTLY i ON t (a)', 'DROP INDEX CONCURRENTLY i', 'REINDEX TABLE CONCURRENTLY t']) {
      const c = classify(node(sql));
      assert.equal(c.transactional, false, sql);
      assert.equal(c.concurrentIndex, true, sql);
    }
    assert.equal(classify(node('VACUUM t')).transactional, false);
    assert.equal(classify(node('CREATE INDEX i ON t (a)')).transactional, true);
  });
  test('transaction control and settings', () => {
    assert.equal(classify(node('START TRANSACTION')).transactionControl, 'begin');
    assert.equal(classify(node('END')).transactionControl, 'commit');
    assert.deepEqual(classify(node("SET LOCAL lock_timeout = '5s'")).setting, { name: 'lock_timeout', value: '5s', local: true });
    assert.deepEqual(classify(node("SELECT set_config('statement_timeout', '0', true)")).setting, { name: 'statement_timeout', value: '0', local: true });
    assert.equal(isZeroTimeout('0'), true);
    assert.equal(isZeroTimeout('0ms'), true);
    assert.equal(isZeroTimeout('5s'), false);
  });
});

describe('lock knowledge', () => {
  test('the conflict table', () => {
    assert.ok(conflicts('SHARE', 'ROW EXCLUSIVE'));
    assert.ok(!conflicts('SHARE UPDATE EXCLUSIVE', 'ROW EXCLUSIVE'));
    assert.ok(conflicts('SHARE UPDATE EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE'));
    assert.ok(blocksReads('ACCESS EXCLUSIVE') && !blocksReads('EXCLUSIVE'));
    assert.ok(blocksWrites('SHARE') && !blocksWrites('ROW EXCLUSIVE'));
    assert.equal(pgLocksName('SHARE UPDATE EXCLUSIVE'), 'ShareUpdateExclusiveLock');
    assert.equal(fromPgLocksName('AccessExclusiveLock'), 'ACCESS EXCLUSIVE');
  });
  const lock = (sql: string, pgVersion = 15) => locksOf(node(sql), pgVersion).map((l) => `${l.relation}:${l.mode}`);
  test('statements and their locks', () => {
    assert.deepEqual(lock('CREATE INDEX i ON leads (a)'), ['leads:SHARE']);
    assert.deepEqual(lock('CREATE INDEX CONCURRENTLY i ON leads (a)'), ['leads:SHARE UPDATE EXCLUSIVE']);
    assert.deepEqual(lock('ALTER TABLE public.leads ADD COLUMN x int'), ['public.leads:ACCESS EXCLUSIVE']);
    assert.deepEqual(lock('ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b NOT VALID'), ['a:SHARE ROW EXCLUSIVE', 'b:SHARE ROW EXCLUSIVE']);
    assert.deepEqual(lock('ALTER TABLE a VALIDATE CONSTRAINT f'), ['a:SHARE UPDATE EXCLUSIVE']);
    assert.deepEqual(lock('ALTER TABLE a VALIDATE CONSTRAINT f, ADD COLUMN y int'), ['a:ACCESS EXCLUSIVE']);
    assert.deepEqual(lock('DROP INDEX CONCURRENTLY i'), ['i:SHARE UPDATE EXCLUSIVE']);
    assert.deepEqual(lock('LOCK TABLE a IN SHARE MODE'), ['a:SHARE']);
    assert.deepEqual(lock('UPDATE leads SET x = 1'), ['leads:ROW EXCLUSIVE']);
    assert.deepEqual(lock('CREATE TRIGGER tr BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()'), ['a:SHARE ROW EXCLUSIVE']);
    assert.deepEqual(lock('ALTER INDEX i RENAME TO j'), ['i:SHARE UPDATE EXCLUSIVE']);
    assert.deepEqual(lock('CREATE TABLE c (id int REFERENCES leads)'), ['leads:SHARE ROW EXCLUSIVE']);
  });
});

describe('statement contexts', () => {
  const ctx = (sql: string, cfg = {}) => loadUnit('m.sql', sql, config(cfg).settings).statements.map((s) => `${s.context.transaction}${s.context.lockTimeoutSet ? '+lt' : ''}`);
  test('explicit BEGIN ... COMMIT', () => {
    assert.deepEqual(ctx('BEGIN; SELECT 1; COMMIT; SELECT 2;'), ['none', 'explicit', 'explicit', 'none']);
  });
  test('a wrapping runner, and golang-migrate\'s single query string', () => {
    assert.deepEqual(ctx('SELECT 1;', { sqlRunner: 'flyway' }), ['framework']);
    assert.deepEqual(ctx('SELECT 1; SELECT 2;', { sqlRunner: 'golang-migrate' }), ['implicit', 'implicit']);
    assert.deepEqual(ctx('-- miglint: no-transaction\nSELECT 1;', { sqlRunner: 'flyway' }), ['none']);
  });
  test('a COMMIT inside a wrapped migration ends the framework\'s transaction', () => {
    assert.deepEqual(ctx('SELECT 1; COMMIT; SELECT 2; BEGIN; SELECT 3;', { sqlRunner: 'flyway' }), ['framework', 'framework', 'none', 'none', 'explicit']);
  });
  test('SET LOCAL only counts inside a transaction block; 0 turns a timeout off', () => {
    assert.deepEqual(ctx("SET LOCAL lock_timeout = '1s'; SELECT 1;"), ['none', 'none']);
    assert.deepEqual(ctx("BEGIN; SET LOCAL lock_timeout = '1s'; SELECT 1; COMMIT; SELECT 2;"), ['none', 'explicit', 'explicit+lt', 'explicit+lt', 'none']);
    assert.deepEqual(ctx("SET lock_timeout = '1s'; SET lock_timeout = 0; SELECT 1;"), ['none', 'none+lt', 'none']);
  });
  test('tables created earlier are remembered schema-qualified and case-correct', () => {
    const u = loadUnit('m.sql', 'CREATE TABLE public."Leads" (id int); CREATE TABLE audit.calls (id int); CREATE TABLE notes (id int); CREATE INDEX i ON leads (id);', config().settings);
    assert.deepEqual([...u.statements[3]!.context.createdTables], ['public."Leads"', 'audit.calls', 'public.notes']);
  });
});

describe('psql scripts', () => {
  const script = "\\set ON_ERROR_STOP on\n\\connect app\nCREATE SCHEMA IF NOT EXISTS :\"schema\";\nCREATE INDEX idx_b ON :schema.leads (c) WHERE d = :'val' AND e::text = f[1:2];\n\\echo done\n";
  test('meta-commands and variables are masked for the parser, keeping every offset', () => {
    const masked = parseableSql(script, true);
    assert.equal(masked.length, script.length);
    assert.equal(parseSql(masked).error, null);
    assert.match(masked, /^ {21}\n {12}\n/);
    assert.match(masked, /e::text = f\[1:2\]/, 'casts and slices stay');
    assert.equal(parseSql(parseableSql(script, false)).error?.message, 'syntax error at or near "\\"');
  });
  test('with the psql runner a script lints, with its findings where they are; another runner reports the syntax', () => {
    const found = lint('m.sql', script, { rules: ['require-concurrent-index-creation'] });
    assert.deepEqual(found.map((f) => `${f.ruleId}@${f.line}:${f.column}`), ['require-concurrent-index-creation@4:1']);
    const other = lint('m.sql', script, { rules: ['require-concurrent-index-creation'], config: { sqlRunner: 'golang-migrate' } });
    // Each statement that does not parse is reported where it fails: none is skipped unsaid.
    assert.deepEqual(other.map((f) => `${f.ruleId}@${f.line}:${f.column}`), ['syntax-error@1:1', 'syntax-error@4:23', 'syntax-error@5:1']);
  });
});

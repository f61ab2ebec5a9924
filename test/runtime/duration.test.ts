import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseCount, parseDuration } from '../../src/runtime/duration.js';
import { UsageError } from '../../src/runtime/errors.js';
import { redact, redactUrl, resolveConnection } from '../../src/runtime/connection.js';
import { backoffDelay } from '../../src/runtime/executors.js';
import { progressBar } from '../../src/runtime/backfill.js';

describe('durations', () => {
  it('reads bare seconds and PostgreSQL units into ms', () => {
    assert.equal(parseDuration('5'), 5000);
    assert.equal(parseDuration('0.5'), 500);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('2min'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration(' 250 ms '), 250);
    assert.equal(parseDuration('0'), 0);
  });

  it('rejects what is not a duration with a usage error naming the option', () => {
    for (const bad of ['', 'abc', '5 parsecs', '-1s', '1e3', '5m']) {
      assert.throws(() => parseDuration(bad, '--lock-timeout'), (e: unknown) => e instanceof UsageError && e.exitCode === 2 && e.message.includes('--lock-timeout'), bad);
    }
    assert.throws(() => parseCount('five', '--retries'), UsageError);
    assert.equal(parseCount('7'), 7);
  });

  it('formats durations for people', () => {
    assert.equal(formatDuration(850), '850ms');
    assert.equal(formatDuration(4200), '4.2s');
    assert.equal(formatDuration(192_000), '3min 12s');
    assert.equal(formatDuration(7_500_000), '2h 5min');
  });

  it('backs off exponentially with jitter, capped', () => {
    for (let i = 0; i < 50; i++) {
      const d1 = backoffDelay(1, 100, 1000);
      const d3 = backoffDelay(3, 100, 1000);
      const d9 = backoffDelay(9, 100, 1000);
      assert.ok(d1 >= 50 && d1 <= 100, `d1=${d1}`);
      assert.ok(d3 >= 200 && d3 <= 400, `d3=${d3}`);
      assert.ok(d9 >= 500 && d9 <= 1000, `d9=${d9}`);
    }
  });

  it('draws a progress bar', () => {
    assert.equal(progressBar('backfill items', 250, 1000, 3, 1500, 'tenant_id 1/2'), 'backfill items [######------------------] 25% 250/1000 rows, 3 batches, 1.5s, tenant_id 1/2');
  });
});

describe('password redaction', () => {
  const pw = 'S3cr3t-Pa55word';
  it('redacts the password of a URL', () => {
    assert.equal(redactUrl(`postgres://app:${pw}@db.example:5432/prod`), 'postgres://app:***@db.example:5432/prod');
    assert.equal(redactUrl('postgres://app@db/prod'), 'postgres://app@db/prod');
  });

  it('scrubs URL credentials and known secrets (raw and URL-encoded) from any text', () => {
    const enc = 'p@ss:w/rd!';
    const text = `cannot connect to postgresql://u:${encodeURIComponent(enc)}@h/db; password was ${enc} and ${pw}`;
    const out = redact(text, [enc, pw]);
    assert.ok(!out.includes(enc) && !out.includes(encodeURIComponent(enc)) && !out.includes(pw), out);
    assert.match(out, /postgresql:\/\/u:\*\*\*@h\/db/);
  });

  it('resolves the URL flag over DATABASE_URL over PG* variables, and never shows a password', () => {
    const env = { DATABASE_URL: `postgres://a:${pw}@h1/db1`, PGHOST: 'h2', PGPASSWORD: 'pgpass-secret' };
    const fromFlag = resolveConnection({ databaseUrl: 'postgres://b:flagpw-123@h3/db3', env });
    assert.equal(fromFlag.display, 'postgres://b:***@h3/db3');
    assert.ok(fromFlag.secrets.includes('flagpw-123'));
    const fromEnv = resolveConnection({ env });
    assert.equal(fromEnv.display, 'postgres://a:***@h1/db1');
    const fromPg = resolveConnection({ env: { PGHOST: 'h2', PGUSER: 'u', PGPASSWORD: 'pgpass-secret', PGDATABASE: 'd' } });
    assert.match(fromPg.display, /^postgres:\/\/u:\*\*\*@h2:5432\/d/);
    assert.ok(!fromPg.display.includes('pgpass-secret'));
  });

  it('rejects a non-postgres URL without echoing it', () => {
    assert.throws(
      () => resolveConnection({ databaseUrl: `mysql://u:${pw}@h/db`, env: {} }),
      (e: unknown) => e instanceof UsageError && !e.message.includes(pw),
    );
    assert.throws(
      () => resolveConnection({ databaseUrl: `not a url ${pw}`, env: {} }),
      (e: unknown) => e instanceof UsageError && !e.message.includes(pw),
    );
  });
});

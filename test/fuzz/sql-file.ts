/**
 * `.sql` migration files: statements, transaction blocks, DO blocks, comments,
 * stray bytes and bulk, for three runners (psql: each statement on its own;
 * golang-migrate: the file is one query string, one implicit transaction;
 * dbmate: `-- migrate:up` / `-- migrate:down` sections, each in a transaction
 * unless `transaction:false`, and each sent as one query string (so with more than one
 * statement, in one implicit transaction even then).
 */
import fc from 'fast-check';
import { BYTES, NUL_WORD, sqlItemArb, WORDS, type SepSpec, type SqlItem, type StmtSpec } from './grammar.js';
import { crlf, decode, segFeatures, type Input } from './doc.js';
import { PhaseModel, type Expected, type Seg, type Sem } from './model.js';
import { control, isUnterminated, renderDo, renderStmt, sqlComment, type DoSpec, type StmtContext } from './sql-render.js';

export interface SqlFileSpec {
  runner: 'psql' | 'golang-migrate' | 'dbmate';
  upNoTx: boolean;
  downNoTx: boolean;
  up: SqlItem[];
  down: SqlItem[];
  bom: boolean;
  crlf: boolean;
}

/** A `.sql` file: one to eight up items (and, for dbmate, up to three down items). */
export const sqlFileArb: fc.Arbitrary<SqlFileSpec> = fc.record({
  runner: fc.constantFrom('psql' as const, 'golang-migrate' as const, 'dbmate' as const),
  upNoTx: fc.boolean(),
  downNoTx: fc.boolean(),
  up: fc.array(sqlItemArb, { minLength: 1, maxLength: 8 }),
  down: fc.array(sqlItemArb, { maxLength: 3 }),
  bom: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  crlf: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const text = (t: string): Seg => ({ text: t });
const hasNul = (segs: readonly Seg[]) => segs.some((s) => s.bytes?.[0] === 0 || s.text?.includes('\u0000'));

/** Statements PostgreSQL sees at the top level of the file (for golang-migrate's one query string). */
function topLevelCount(items: readonly SqlItem[]): number {
  let n = 0;
  for (const it of items) {
    if (it.t === 'stmt') n += it.s.kind === 'broken' ? 0 : 1;
    else if (it.t === 'begin') n += 2 + it.items.filter((s) => s.kind !== 'broken').length;
    else if (it.t === 'do') n += 1;
    else if (it.t === 'bulk') n += it.n;
  }
  return n;
}

const commentNul = (seps: readonly SepSpec[]) => seps.some((s) => s.k === 'comment' && s.c.words.includes(NUL_WORD));

/**
 * Whether PostgreSQL could reject the whole file as one query string for a reason
 * the model does not follow (a statement broken on purpose, stray bytes, a NUL):
 * then whether golang-migrate's implicit transaction holds a statement is not claimed.
 */
function mayNotParse(items: readonly SqlItem[]): boolean {
  const stmt = (s: StmtSpec) => s.kind === 'broken' || commentNul(s.seps);
  return items.some((it) => {
    switch (it.t) {
      case 'stmt':
        return stmt(it.s);
      case 'begin':
        return it.items.some(stmt);
      case 'do':
        return commentNul(it.seps) || it.items.some((s) => commentNul(s.seps));
      case 'comment':
        return it.c.words.includes(NUL_WORD);
      case 'junk':
        return true;
      case 'bulk':
        return false;
    }
  });
}

class SqlWriter {
  readonly segs: Seg[] = [];
  readonly expected: Expected[] = [];
  private next = 1;
  private nulSeen = false;
  readonly fileFeatures = new Set<string>();

  /** Whether the query string being written holds more than one statement (null: not claimed); set per dbmate section. */
  constructor(public multi: boolean | null) {}

  private features(segs: readonly Seg[], extra: string[] = []): string[] {
    const f = [...extra];
    if (this.nulSeen) f.push('after-nul');
    if (hasNul(segs)) f.push('contains-nul');
    return f;
  }

  private push(segs: Seg[]): void {
    this.segs.push(...segs);
    if (hasNul(segs)) this.nulSeen = true;
  }

  private ctx(model: PhaseModel): StmtContext {
    return { created: [...model.created], forbid: [], nul: true };
  }

  private stmt(spec: StmtSpec, model: PhaseModel, semi: boolean): void {
    const id = this.next++;
    const { segs, sem } = renderStmt(spec, id, this.ctx(model), semi);
    if (isUnterminated(spec)) this.fileFeatures.add('unterminated');
    this.expected.push(model.run(sem, model.explicit || model.framework || this.multi, id, this.features(segs)));
    this.push(segs);
  }

  private frame(sql: string, sem: Sem, model: PhaseModel): void {
    const id = this.next++;
    const segs: Seg[] = [{ text: sql, owner: id }];
    this.expected.push(model.run(sem, model.explicit || model.framework || this.multi, id, this.features(segs)));
    this.push(segs);
  }

  private doBlock(item: DoSpec, model: PhaseModel): void {
    const { segs, expected } = renderDo(item, model, model.explicit || model.framework || this.multi, () => this.next++, true);
    if (item.items.some(isUnterminated)) this.fileFeatures.add('unterminated');
    for (const e of expected) e.features = this.features(segs, e.features);
    this.expected.push(...expected);
    this.push(segs);
  }

  items(items: readonly SqlItem[], model: PhaseModel, lastSection: boolean): void {
    items.forEach((it, i) => {
      if (i > 0 || this.segs.length) this.segs.push(text(i % 3 === 2 ? '\n\n' : '\n'));
      switch (it.t) {
        case 'stmt':
          this.stmt(it.s, model, it.s.semi || !(lastSection && i === items.length - 1));
          break;
        case 'begin':
          this.frame(['BEGIN;', 'START TRANSACTION;', 'BEGIN;'][it.end % 3]!, control('begin'), model);
          for (const s of it.items) {
            this.segs.push(text('\n  '));
            this.stmt(s, model, true);
          }
          this.segs.push(text('\n'));
          this.frame(['COMMIT;', 'COMMIT;', 'END;'][it.end % 3]!, control('commit'), model);
          break;
        case 'do':
          this.doBlock(it, model);
          break;
        case 'comment':
          this.push(sqlComment(it.c, this.ctx(model)));
          break;
        case 'junk':
          this.push([text(' '), { bytes: BYTES[it.w - WORDS.length]! }, text(' ')]);
          break;
        case 'bulk':
          this.fileFeatures.add('bulk');
          this.segs.push(text('SELECT 1;\n'.repeat(it.n)));
          break;
      }
    });
  }
}

/** Renders a `.sql` file spec to an input with its expectations. */
export function renderSqlFile(spec: SqlFileSpec): Input {
  // golang-migrate sends the file, dbmate each section, as one query string: one implicit transaction when it holds more than one statement.
  const multi = (items: readonly SqlItem[]) => (spec.runner === 'psql' ? false : mayNotParse(items) ? null : topLevelCount(items) > 1);
  const w = new SqlWriter(multi(spec.up));
  if (spec.bom) w.segs.push(text('\uFEFF'));
  const dbmate = spec.runner === 'dbmate';
  if (dbmate) w.segs.push(text(`-- migrate:up${spec.upNoTx ? ' transaction:false' : ''}\n`));
  const withDown = dbmate && spec.down.length > 0;
  w.items(spec.up, new PhaseModel(dbmate && !spec.upNoTx), !withDown);
  if (withDown) {
    w.segs.push(text(`\n\n-- migrate:down${spec.downNoTx ? ' transaction:false' : ''}\n`));
    w.multi = multi(spec.down);
    w.items(spec.down, new PhaseModel(!spec.downNoTx), true);
  }
  w.segs.push(text('\n'));
  segFeatures(w.segs, w.fileFeatures);
  const segs = spec.crlf ? crlf(w.segs) : w.segs;
  return decode('migration.sql', `sql:${spec.runner}`, { sqlRunner: spec.runner }, segs, w.expected, [...w.fileFeatures]);
}

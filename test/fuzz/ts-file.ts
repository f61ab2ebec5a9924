/**
 * TS/JS migration modules for the frameworks miglint reads (knex, TypeORM,
 * node-pg-migrate, Sequelize, Kysely, node-postgres), written with each one's
 * idioms (fixtures/rules/ has one file per framework and rule): raw query calls
 * whose SQL is a quoted string, a template (with `${}` holes a same-file const
 * fills, or a value nobody knows), a concatenation or a const; builder calls;
 * code transactions; nesting (blocks, ifs, IIFEs, try/rethrow, Promise.all,
 * `.then`), comments, stray bytes and JS syntax errors.
 */
import fc from 'fast-check';
import { BYTES, commentArb, depthArb, doArb, isBytes, NUL_WORD, stmtArb, WORDS, type CommentSpec, type SqlItem, type StmtSpec, type Word } from './grammar.js';
import { crlf, decode, segFeatures, type Input } from './doc.js';
import { PhaseModel, type Expected, type Hole, type Seg, type Sem } from './model.js';
import { isUnterminated, renderDo, renderStmt } from './sql-render.js';
import { jsLiteral, type HoleMode, type LitKind } from './ts-literal.js';
import { FRAMEWORKS, shell, type Framework } from './ts-frameworks.js';

export interface CallSpec {
  t: 'call';
  lit: LitKind | 'const';
  holes: HoleMode[];
  stmts: StmtSpec[];
  /** When set, the call runs this DO block instead of `stmts`. */
  do: Extract<SqlItem, { t: 'do' }> | null;
  argParens: number;
  wrapParens: number;
  /** Seed of the optional escapes. */
  esc: number;
  /** Picks the call's form where the framework has several (`knex.raw` / `knex.schema.raw`, a tagged or a raw kysely query). */
  form: number;
}

export type TsItem =
  | CallSpec
  | { t: 'builder'; b: 'index' | 'index-concurrently' | 'drop-index'; v: number }
  | { t: 'comment'; c: CommentSpec }
  | { t: 'nest'; shape: number; depth: number; items: TsItem[] }
  | { t: 'tx'; calls: CallSpec[] }
  | { t: 'all'; calls: CallSpec[] }
  | { t: 'then'; a: CallSpec; b: CallSpec }
  | { t: 'junk'; w: Word; bare: boolean }
  | { t: 'script-error'; v: number };

export interface TsFileSpec {
  fw: Framework;
  lang: 'ts' | 'js';
  noTx: boolean;
  up: TsItem[];
  down: TsItem[];
  bom: boolean;
  crlf: boolean;
}

const callArb: fc.Arbitrary<CallSpec> = fc.record({
  t: fc.constant('call' as const),
  lit: fc.constantFrom('single' as const, 'double' as const, 'template' as const, 'template' as const, 'concat' as const, 'const' as const),
  holes: fc.array(fc.constantFrom('inline' as const, 'const' as const, 'unknown' as const), { maxLength: 3 }),
  stmts: fc.oneof({ weight: 4, arbitrary: fc.array(stmtArb(), { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(stmtArb(), { minLength: 2, maxLength: 3 }) }),
  do: fc.oneof({ weight: 12, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: doArb }),
  argParens: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: depthArb }),
  wrapParens: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: depthArb }),
  esc: fc.nat(),
  form: fc.nat({ max: 3 }),
});

const leafArb: fc.Arbitrary<TsItem> = fc.oneof(
  { weight: 30, arbitrary: callArb },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('builder' as const), b: fc.constantFrom('index' as const, 'index-concurrently' as const, 'drop-index' as const), v: fc.nat({ max: 63 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('comment' as const), c: commentArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('tx' as const), calls: fc.array(callArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('all' as const), calls: fc.array(callArb, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('then' as const), a: callArb, b: callArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('junk' as const), w: fc.nat({ max: BYTES.length - 1 }).map((i) => WORDS.length + i), bare: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('script-error' as const), v: fc.nat({ max: 3 }) }) },
);

const itemArb: fc.Arbitrary<TsItem> = fc.oneof(
  { weight: 8, arbitrary: leafArb },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('nest' as const), shape: fc.nat({ max: 4 }), depth: depthArb, items: fc.array(leafArb, { minLength: 1, maxLength: 3 }) }) },
);

/** A TS/JS migration: framework, language, transaction switch, up to six up and three down items. */
export const tsFileArb: fc.Arbitrary<TsFileSpec> = fc.record({
  fw: fc.constantFrom(...FRAMEWORKS),
  lang: fc.constantFrom('ts' as const, 'js' as const),
  noTx: fc.boolean(),
  up: fc.array(itemArb, { minLength: 1, maxLength: 6 }),
  down: fc.array(itemArb, { maxLength: 3 }),
  bom: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  crlf: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const text = (t: string): Seg => ({ text: t });
const SHAPES: Array<[string, string]> = [
  ['{', '}'],
  ["if (process.env.FZ_SKIP !== '1') {", '}'],
  ['await (async () => {', '})();'],
  ['try {', '} catch (err) {\n  throw err;\n}'],
  ['for (const _ of [0]) {', '}'],
];
const SCRIPT_ERRORS = [')', 'const = 1;', '@@;', 'let x = ;'];

function wordsText(ws: readonly Word[]): Seg[] {
  return ws.flatMap((w, i) => {
    const sep = i ? [text(' ')] : [];
    if (isBytes(w)) return [...sep, { bytes: BYTES[w - WORDS.length]! }];
    return [...sep, text(WORDS[w]!.replace(/\*\//g, '* /'))];
  });
}

/** Whether the SQL PostgreSQL gets for a call may fail to parse for reasons the model does not follow (then its implicit transaction is not claimed). */
const mayNotParse = (stmts: readonly StmtSpec[]) => stmts.some((s) => s.kind === 'broken' || s.seps.some((p) => p.k === 'comment' && p.c.words.includes(NUL_WORD)));

class TsWriter {
  readonly consts: Seg[] = [];
  readonly expected: Expected[] = [];
  private next = 1;
  private consts_ = 0;
  private scriptError = false;
  private depth = 0;
  readonly fileFeatures = new Set<string>();

  /**
   * A JS syntax error anywhere in the module makes its shape (a `config = { transaction: false }` after it,
   * say) uncertain: whether the framework's transaction holds a statement is then not claimed.
   */
  private readonly shapeKnown: boolean;

  constructor(readonly spec: TsFileSpec) {
    const broken = (items: readonly TsItem[]): boolean => items.some((i) => i.t === 'script-error' || (i.t === 'junk' && i.bare) || (i.t === 'nest' && broken(i.items)));
    this.shapeKnown = !broken(spec.up) && !broken(spec.down);
  }

  /** Whether a statement through the framework's handle runs in its wrapping transaction (null: not known). */
  private wrapped(model: PhaseModel): boolean | null {
    return this.shapeKnown ? model.framework : model.framework || null;
  }

  private constName(prefix: string, value: Seg[]): string {
    const name = `${prefix}${++this.consts_}`;
    this.consts.push(text(`const ${name} = `), ...value, text(';\n'));
    return name;
  }

  private features(extra: string[]): string[] {
    return [...extra, ...(this.scriptError ? ['script-error-before'] : [])];
  }

  /** The SQL of one call written as `lit`, with the model run over its statements in order. */
  private callSql(call: CallSpec, model: PhaseModel, codeTx: boolean, extra: string[], lit: LitKind, kyselyTag: boolean): Seg[] {
    const wrappedTx = codeTx || this.wrapped(model);
    if (call.do) {
      const { segs, expected } = renderDo(call.do, model, wrappedTx, () => this.next++, false);
      for (const e of expected) e.features = this.features([...e.features, ...extra]);
      this.expected.push(...expected);
      return segs;
    }
    const nonBroken = call.stmts.filter((s) => s.kind !== 'broken').length;
    const multi = mayNotParse(call.stmts) ? null : nonBroken > 1;
    const inTx = wrappedTx || multi || (wrappedTx === null || multi === null ? null : false);
    const segs: Seg[] = [];
    call.stmts.forEach((spec, i) => {
      const id = this.next++;
      const last = i === call.stmts.length - 1;
      const r = renderStmt(spec, id, { created: [...model.created], forbid: [], nul: true }, last ? spec.semi && call.stmts.length > 1 : true);
      const e = model.run(r.sem, inTx, id, this.features([...extra]));
      this.holes(call, r.segs, e, model, lit, kyselyTag);
      if (r.sem.setting) model.timeoutsUnknown();
      this.expected.push(e);
      if (i) segs.push(text(i % 2 ? ' ' : '\n'));
      segs.push(...r.segs);
    });
    return segs;
  }

  private holeIndex = 0;

  /** Decides how each hole of a statement is written; an unknown value where it changes the meaning voids the claims. */
  private holes(call: CallSpec, segs: Seg[], e: Expected, model: PhaseModel, lit: LitKind, kyselyTag: boolean): void {
    for (const s of segs) {
      if (!s.hole) continue;
      let mode: HoleMode = lit === 'template' || lit === 'concat' ? (call.holes[this.holeIndex++ % Math.max(1, call.holes.length)] ?? 'inline') : 'inline';
      // A kysely `sql` template's substitutions are bound parameters: only values may be unknown, never text.
      if (kyselyTag && (s.hole.role !== 'value' || mode === 'const')) mode = 'inline';
      s.hole.mode = mode;
      if (mode === 'const') e.features.push('const-hole');
      if (mode !== 'unknown') continue;
      e.features.push(s.hole.role === 'kw' ? 'broken-hole' : 'unknown-hole');
      if (s.hole.semantic) {
        e.expect = [];
        e.safe = false;
        model.timeoutsUnknown();
      }
    }
  }

  /** A call expression (no `await`, no `;`) running `call`'s SQL through the framework's handle (its transaction's, in `codeTx`). */
  private callExpr(call: CallSpec, model: PhaseModel, codeTx: boolean, extra: string[]): Seg[] {
    const kyselyTag = this.spec.fw === 'kysely' && call.form % 2 === 0;
    const lit: LitKind = kyselyTag ? 'template' : call.lit === 'const' ? (call.form % 2 ? 'template' : 'single') : call.lit;
    const viaConst = call.lit === 'const' && !kyselyTag;
    const first = this.expected.length;
    const sql = this.callSql(call, model, codeTx, viaConst ? [...extra, 'const-sql'] : extra, lit, kyselyTag);
    // What can spoil a whole query string spoils it for each of its statements: a NUL, an unterminated
    // string, a value the analyser cannot know (the string may then not parse).
    const mine = this.expected.slice(first);
    const callFeatures = new Set<string>();
    segFeatures(sql, callFeatures);
    if ([...call.stmts, ...(call.do?.items ?? [])].some(isUnterminated)) callFeatures.add('unterminated');
    if (mine.some((e) => e.features.includes('unknown-hole') || e.features.includes('broken-hole'))) callFeatures.add('interpolated-call');
    for (const e of mine) e.features.push(...callFeatures);
    const holeWriter = {
      mode: (h: Hole) => h.mode ?? 'inline',
      expr: (h: Hole, mode: 'const' | 'unknown') => (mode === 'const' ? this.constName('FZ_C', [text(`'${h.text.replace(/'/g, "\\'")}'`)]) : `process.env.FZ_U${++this.consts_}`),
    };
    let arg = jsLiteral(sql, lit, call.esc, holeWriter);
    if (viaConst) {
      const anchor = this.next++;
      for (const e of mine) e.anchor = anchor;
      arg = [{ text: this.constName('FZ_SQL', arg), owner: anchor }];
    }
    const parens = kyselyTag ? 0 : call.argParens;
    if (parens > 40 || call.wrapParens > 40) this.fileFeatures.add('deep');
    const f = shell(this.spec.fw, this.spec.lang);
    const expr = f.call({ arg: [text('('.repeat(parens)), ...arg, text(')'.repeat(parens))], form: call.form, inTx: codeTx, tagged: kyselyTag });
    return [text('('.repeat(call.wrapParens)), ...expr, text(')'.repeat(call.wrapParens))];
  }

  items(items: readonly TsItem[], model: PhaseModel, indent: string): Seg[] {
    const out: Seg[] = [];
    const f = shell(this.spec.fw, this.spec.lang);
    for (const it of items) {
      out.push(text(indent));
      switch (it.t) {
        case 'call':
          out.push(...(f.awaits ? [text('await ')] : []), ...this.callExpr(it, model, false, []), text(';\n'));
          break;
        case 'builder': {
          const id = this.next++;
          const marker = `fz${id}x`;
          const b = f.builder(it.b, marker, it.v);
          if (!b) {
            // No builder for this in the framework: the same statement through its raw query call.
            const sql = it.b === 'drop-index' ? `DROP INDEX ${marker}` : `CREATE INDEX${it.b === 'index' ? '' : ' CONCURRENTLY'} ${marker} ON leads (a)`;
            const s: Sem = { kind: it.b === 'drop-index' ? 'drop-index' : it.b === 'index' ? 'index-existing' : 'index-concurrently', marker, creates: null, index: it.b === 'index' ? 'plain' : it.b === 'index-concurrently' ? 'concurrent' : null, drop: it.b === 'drop-index' ? 'plain' : null, blocking: it.b !== 'index-concurrently', setting: null, tx: null, broken: false };
            this.expected.push(model.run(s, this.wrapped(model), id, this.features([])));
            out.push(...(f.awaits ? [text('await ')] : []), ...f.call({ arg: [{ text: `'${sql}'`, owner: id }], form: 0, inTx: false, tagged: false }), text(';\n'));
            break;
          }
          const s: Sem = { kind: `builder-${it.b}`, marker, creates: null, index: it.b === 'index' ? 'plain' : it.b === 'index-concurrently' ? 'concurrent' : null, drop: it.b === 'drop-index' ? 'plain' : null, blocking: it.b !== 'index-concurrently', setting: null, tx: null, broken: false };
          this.expected.push(model.run(s, this.wrapped(model), id, this.features(['builder'])));
          out.push(...(f.awaits ? [text('await ')] : []), { text: b, owner: id }, text(';\n'));
          break;
        }
        case 'comment':
          out.push(...(it.c.block ? [text('/* '), ...wordsText(it.c.words), text(' */\n')] : [text('// '), ...wordsText(it.c.words), text('\n')]));
          break;
        case 'nest': {
          const [open, close] = SHAPES[it.shape % SHAPES.length]!;
          this.depth += it.depth;
          if (this.depth > 40) this.fileFeatures.add('deep');
          out.push(text(`${open}\n`.repeat(it.depth)), ...this.items(it.items, model, `${indent}  `), text(`${indent}${close}\n`.repeat(it.depth)));
          this.depth -= it.depth;
          break;
        }
        case 'tx': {
          const tx = f.transaction;
          if (!tx) {
            out.push(...this.items(it.calls, model, indent).slice(1));
            break;
          }
          out.push(text(`${tx[0]}\n`));
          for (const c of it.calls) out.push(text(`${indent}  `), ...(f.awaits ? [text('await ')] : []), ...this.callExpr(c, model, true, ['tx-callback']), text(';\n'));
          out.push(text(`${indent}${tx[1]}\n`));
          break;
        }
        case 'all':
          if (!f.awaits) {
            out.push(...this.items(it.calls, model, indent).slice(1));
            break;
          }
          out.push(text('await Promise.all([\n'));
          for (const c of it.calls) out.push(text(`${indent}  `), ...this.callExpr(c, model, false, []), text(',\n'));
          out.push(text(`${indent}]);\n`));
          break;
        case 'then':
          if (!f.awaits) {
            out.push(...this.items([it.a, it.b], model, indent).slice(1));
            break;
          }
          out.push(text('await '), ...this.callExpr(it.a, model, false, []), text('.then(() => '), ...this.callExpr(it.b, model, false, []), text(');\n'));
          break;
        case 'junk':
          out.push(...(it.bare ? [{ bytes: BYTES[it.w - WORDS.length]! }, text('\n')] : [text('// junk '), { bytes: BYTES[it.w - WORDS.length]! }, text('\n')]));
          if (it.bare) this.scriptError = true;
          if (it.w === NUL_WORD) this.fileFeatures.add('nul-in-file');
          break;
        case 'script-error':
          out.push(text(`${SCRIPT_ERRORS[it.v % SCRIPT_ERRORS.length]!}\n`));
          this.scriptError = true;
          break;
      }
    }
    return out;
  }
}

/** Renders a TS/JS migration spec to an input with its expectations. */
export function renderTsFile(spec: TsFileSpec): Input {
  const w = new TsWriter(spec);
  const f = shell(spec.fw, spec.lang);
  const noTx = spec.noTx && f.switchable;
  const up = w.items(spec.up, new PhaseModel(f.wraps && !noTx), '    ');
  const down = w.items(spec.down, new PhaseModel(f.wraps && !(noTx && f.noTxBoth)), '    ');
  const segs: Seg[] = [
    ...(spec.bom ? [text('\uFEFF')] : []),
    text(f.header),
    ...w.consts,
    text('\n'),
    ...f.module(up, down, noTx),
  ];
  return decode(`20240101000000_fuzz.${spec.lang}`, `${spec.fw}.${spec.lang}`, {}, spec.crlf ? crlf(segs) : segs, w.expected, [...w.fileFeatures]);
}

/**
 * Renders the SQL grammar pieces to segments: one statement (tokens joined by
 * whitespace and comments), comments, string literals. The same statement
 * rendering serves `.sql` files and the SQL inside TS/JS query calls.
 */
import { BYTES, isBytes, WORDS, type CommentSpec, type SepSpec, type SqlItem, type StmtSpec, type StrSpec, type Word } from './grammar.js';
import type { Expected, Hole, PhaseModel, Seg, Sem } from './model.js';

/** Tables that exist before the migration (never created by the generator). */
export const EXISTING = ['leads', 'call_log', 'public.accounts', '"Orders"', 'audit.events'] as const;

export interface StmtContext {
  /** Tables created earlier in the direction, schema-qualified and case-correct. */
  created: readonly string[];
  /** Dollar-quote delimiters open around the statement (a DO body): text must not contain them. */
  forbid: readonly string[];
  /** NUL may be written (false inside string literals: PostgreSQL has no NUL in text). */
  nul: boolean;
}

const text = (t: string): Seg => ({ text: t });

function wordSegs(ws: readonly Word[], forbid: readonly string[], allowNul: boolean, allowBytes = true): Seg[] {
  const out: Seg[] = [];
  ws.forEach((w, i) => {
    if (i > 0) out.push(text(' '));
    if (isBytes(w)) {
      const bytes = BYTES[w - WORDS.length]!;
      if (!allowBytes || (bytes[0] === 0 && !allowNul)) out.push(text('nul'));
      else out.push({ bytes });
      return;
    }
    const t = WORDS[w]!;
    out.push(text(forbid.some((f) => t.includes(f)) ? 'ok' : t));
  });
  return out;
}

/** A SQL comment: `-- ...` ending its line, or `/* ... *\/` with block comments nested in it. */
export function sqlComment(c: CommentSpec, ctx: StmtContext): Seg[] {
  if (!c.block) return [text('-- '), ...wordSegs(c.words, ctx.forbid, ctx.nul), text('\n')];
  const body = wordSegs(c.words, ctx.forbid, ctx.nul);
  let segs: Seg[] = [text('/* '), ...body, text(' */')];
  for (let i = 0; i < c.nested; i++) segs = [text('/* '), ...segs, text(` נ${i} */`)];
  return segs;
}

const WS = [' ', '\n', '\t', '  \n    ', '\n\n'];

/** A separator between tokens as segments (a comment gets a space each side). */
export function sepSegs(s: SepSpec, ctx: StmtContext): Seg[] {
  if (s.k === 'ws') return [text(WS[s.w % WS.length]!)];
  return [text(' '), ...sqlComment(s.c, ctx), text(' ')];
}

const TAGS = ['', 'q', 'fz', '_a1', 'body'];
const E_ESCAPES = ['\\n', '\\x41\\t', '\\u05D0\\u05D1', '\\\\', "\\'"];

/** A string literal of `s`'s kind, its quotes escaped the way that kind needs. */
export function sqlString(s: StrSpec, ctx: StmtContext): Seg[] {
  const body = (forbid: readonly string[]) => wordSegs(s.words, forbid, false);
  switch (s.k) {
    case 'plain':
      return [text("'"), ...body(ctx.forbid).map((g) => (g.text ? text(g.text.replace(/'/g, "''")) : g)), text("'")];
    case 'e':
      return [text("E'"), ...body(ctx.forbid).map((g) => (g.text ? text(g.text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")) : g)), text(E_ESCAPES[s.tag % E_ESCAPES.length]!), text("'")];
    case 'u':
      return [text(s.tag % 2 ? "U&'d\\0061t\\+000061'" : "U&'\\05D0 ok'")];
    case 'dollar': {
      let tag = TAGS[s.tag % TAGS.length]!;
      for (let i = 0; ctx.forbid.includes(`$${tag}$`); i++) tag = `t${i}`;
      const delim = `$${tag}$`;
      // Mostly a space after the opening delimiter; `$body$` is followed by its text at once (`$body${{ y }}`),
      // except inside another dollar quote, where `$body$$q$` would hold the outer `$$`.
      const tight = s.tag % TAGS.length === 4 && ctx.forbid.length === 0;
      return [text(tight ? delim : `${delim} `), ...body([...ctx.forbid, delim]), text(tight ? delim : ` ${delim}`)];
    }
  }
}

type Tok = Seg[];
const t = (s: string): Tok => [text(s)];
const hole = (role: Hole['role'], value: string, semantic = false): Tok => [{ hole: { role, text: value, semantic } }];

/** How to write a name that resolves to `canonical` (schema.name, name case-correct). */
function refTo(canonical: string, v: number): string {
  const [schema, name] = canonical.split('.') as [string, string];
  const lower = name === name.toLowerCase();
  if (schema === 'public' && lower) return [name, `public.${name}`, `"${name}"`, name.toUpperCase()][v % 4]!;
  if (lower) return [`${schema}.${name}`, `"${schema}"."${name}"`][v % 2]!;
  return schema === 'public' ? [`"${name}"`, `public."${name}"`][v % 2]! : `${schema}."${name}"`;
}

/** A name with the same last part, lower-cased, as `canonical` that PostgreSQL resolves to another table. */
function otherRef(canonical: string): { ref: string; canonical: string } {
  const [schema, name] = canonical.split('.') as [string, string];
  if (schema === 'public' && name === name.toLowerCase()) return { ref: `audit.${name}`, canonical: `audit.${name}` };
  return { ref: name.toLowerCase(), canonical: `public.${name.toLowerCase()}` };
}

function createdName(id: number, v: number): { ref: string; canonical: string } {
  return [
    { ref: `tb${id}`, canonical: `public.tb${id}` },
    { ref: `public.tb${id}`, canonical: `public.tb${id}` },
    { ref: `audit.tb${id}`, canonical: `audit.tb${id}` },
    { ref: `"Tb${id}"`, canonical: `public.Tb${id}` },
  ][v % 4]!;
}

const sem = (kind: string, marker: string | null, extra: Partial<Sem> = {}): Sem => ({ kind, marker, creates: null, index: null, drop: null, blocking: false, setting: null, tx: null, broken: false, ...extra });

function tokens(spec: StmtSpec, id: number, ctx: StmtContext): { toks: Tok[]; sem: Sem } {
  const m = `fz${id}x`;
  const v = spec.v;
  const bit = (n: number) => (v >> n) & 1;
  const existing = EXISTING[v % EXISTING.length]!;
  const str = () => sqlString(spec.str, { ...ctx, nul: false });
  const pick = () => ctx.created[(v >> 2) % Math.max(1, ctx.created.length)]!;
  const kind = spec.kind;
  switch (kind) {
    case 'create-table': {
      const n = createdName(id, v >> 3);
      const ine = bit(2) ? [t('IF'), t('NOT'), t('EXISTS')] : [];
      return { toks: [t('CREATE'), t('TABLE'), ...ine, t(n.ref), t('('), t(m), t('int'), t(','), t('note'), t('text'), t('DEFAULT'), str(), t(')')], sem: sem(kind, m, { creates: n.canonical }) };
    }
    case 'select':
      if (v % 3 === 0) return { toks: [t('SELECT'), str(), t('AS'), t(m)], sem: sem(kind, m) };
      if (v % 3 === 1) return { toks: [t('SELECT'), t('count'), t('('), t('*'), t(')'), t('AS'), t(m), t('FROM'), hole('table', existing)], sem: sem(kind, m) };
      return { toks: [t('SELECT'), t(m), t('FROM'), hole('table', existing), t('WHERE'), t('note'), t('='), str()], sem: sem(kind, m) };
    case 'insert':
      return { toks: [t('INSERT'), t('INTO'), hole('table', existing), t('('), t(m), t(','), t('note'), t(')'), t('VALUES'), t('('), hole('value', bit(3) ? '42' : "'x'"), t(','), str(), t(')')], sem: sem(kind, m) };
    case 'alter-created':
      if (ctx.created.length) return { toks: [t('ALTER'), t('TABLE'), t(refTo(pick(), v >> 4)), t('ADD'), t('COLUMN'), t(m), t('int')], sem: sem(kind, m) };
      return tokens({ ...spec, kind: 'alter-existing' }, id, ctx);
    case 'alter-existing': {
      const ie = bit(3) ? [t('IF'), t('EXISTS')] : [];
      const def = bit(4) ? [t('DEFAULT'), str()] : [];
      return { toks: [t('ALTER'), t('TABLE'), ...ie, hole('table', existing), t('ADD'), t('COLUMN'), t(m), t('text'), ...def], sem: sem(kind, m, { blocking: true }) };
    }
    case 'index-existing': {
      const unique = bit(3) ? [hole('kw', 'UNIQUE')] : [];
      const ine = bit(4) ? [t('IF'), t('NOT'), t('EXISTS')] : [];
      const where = bit(5) ? [t('WHERE'), t('note'), t('='), str()] : [];
      return { toks: [t('CREATE'), ...unique, t('INDEX'), ...ine, t(m), t('ON'), hole('table', existing), ...(bit(2) ? [t('USING'), t('btree')] : []), t('('), t('a'), t(')'), ...where], sem: sem(kind, m, { index: 'plain', blocking: true }) };
    }
    case 'index-concurrently': {
      const ine = bit(4) ? [t('IF'), t('NOT'), t('EXISTS')] : [];
      return { toks: [t('CREATE'), ...(bit(3) ? [t('UNIQUE')] : []), t('INDEX'), hole('kw', 'CONCURRENTLY', true), ...ine, t(m), t('ON'), hole('table', existing), t('('), t('a'), t(')')], sem: sem(kind, m, { index: 'concurrent' }) };
    }
    case 'index-created':
      if (ctx.created.length) return { toks: [t('CREATE'), t('INDEX'), t(m), t('ON'), t(refTo(pick(), v >> 4)), t('('), t('note'), t(')')], sem: sem(kind, m) };
      return tokens({ ...spec, kind: 'index-existing' }, id, ctx);
    case 'index-other-table': {
      if (!ctx.created.length) return tokens({ ...spec, kind: 'index-existing' }, id, ctx);
      const other = otherRef(pick());
      const isCreated = ctx.created.includes(other.canonical);
      return { toks: [t('CREATE'), t('INDEX'), t(m), t('ON'), t(other.ref), t('('), t('note'), t(')')], sem: sem(kind, m, isCreated ? {} : { index: 'plain', blocking: true }) };
    }
    case 'drop-index':
      return { toks: [t('DROP'), t('INDEX'), ...(bit(3) ? [t('IF'), t('EXISTS')] : []), t(bit(4) ? `public.${m}` : m), ...(bit(5) ? [t('CASCADE')] : [])], sem: sem(kind, m, { drop: 'plain', blocking: true }) };
    case 'drop-index-concurrently':
      return { toks: [t('DROP'), t('INDEX'), t('CONCURRENTLY'), ...(bit(3) ? [t('IF'), t('EXISTS')] : []), t(m)], sem: sem(kind, m, { drop: 'concurrent' }) };
    case 'set-lock-timeout':
    case 'set-statement-timeout': {
      const name = kind === 'set-lock-timeout' ? 'lock_timeout' : 'statement_timeout';
      const forms: Array<[Tok[], boolean, boolean]> = [
        [[t('SET'), t(name), t('='), t("'5s'")], true, false],
        [[t('SET'), t('SESSION'), t(name), t('TO'), t("'2s'")], true, false],
        [[t('SET'), t('LOCAL'), t(name), t('='), t("'3s'")], true, true],
        [[t('SET'), t(name), t('='), t('0')], false, false],
        [[t('RESET'), t(name)], false, false],
      ];
      const [toks, on, local] = forms[v % forms.length]!;
      return { toks, sem: sem(kind, null, { setting: { name, on, local } }) };
    }
    case 'broken': {
      // BROKEN_FORMS forms, the unterminated string last (see isUnterminated).
      const forms: Tok[][] = [
        [t('CREATE'), t('INDEX'), t(m), t('ON'), t(existing), t('('), t('a')],
        [t('CREAT'), t('TABLE'), t(m), t('('), t('a'), t('int'), t(')')],
        [t('ALTER'), t('TABLE'), t(existing), t('ADD'), t('COLUMN'), t(m)],
        [t('SELECT'), t(m), t('FROM'), t('WHERE')],
        [t('CREATE'), t('INDEX'), t(m), t('ON'), t(existing), t('('), t('a'), t(')'), t('WHERE')],
        // An unterminated dollar-quoted string (its tag is nowhere else): the rest of the text is inside it.
        [t('SELECT'), t(m), t(','), t(`$unterminated${id}$`)],
      ];
      return { toks: forms[v % BROKEN_FORMS]!, sem: sem(kind, m, { broken: true }) };
    }
  }
}

const BROKEN_FORMS = 6;

/** A statement broken by an unterminated string: everything after it in the same SQL text is inside the string. */
export const isUnterminated = (spec: StmtSpec) => spec.kind === 'broken' && spec.v % BROKEN_FORMS === BROKEN_FORMS - 1;

/** One statement as segments (tokens joined by its separators, `;` unless `semi` is false), owned by `id`, and what it is. */
export function renderStmt(spec: StmtSpec, id: number, ctx: StmtContext, semi = spec.semi): { segs: Seg[]; sem: Sem } {
  const { toks, sem } = tokens(spec, id, ctx);
  const segs: Seg[] = [];
  toks.forEach((tok, i) => {
    if (i > 0) segs.push(...(spec.seps.length ? sepSegs(spec.seps[i % spec.seps.length]!, ctx) : [text(' ')]));
    segs.push(...tok);
  });
  // A line comment as the last separator needs its newline before the `;`: sepSegs gives it one.
  if (semi) segs.push(text(';'));
  for (const s of segs) s.owner = id;
  return { segs, sem };
}

/** What a frame statement (BEGIN, COMMIT, the DO around a body) is. */
export function control(kind: 'begin' | 'commit' | 'do'): Sem {
  return sem(kind, null, kind === 'do' ? {} : { tx: kind });
}

export type DoSpec = Extract<SqlItem, { t: 'do' }>;
const DO_TAGS = ['$$', '$do$', '$body$', '$$'];

/**
 * A `DO` block (the statement run with `inTx` as the model says) whose PL/pgSQL body
 * runs `item.items`: inside the DO statement, i.e. in a transaction block. A body
 * with a statement broken on purpose does not parse, and none of its statements run.
 * `semi`: end the DO statement with `;`.
 */
export function renderDo(item: DoSpec, model: PhaseModel, inTx: boolean | null, nextId: () => number, semi: boolean): { segs: Seg[]; expected: Expected[] } {
  const delim = DO_TAGS[item.tag % DO_TAGS.length]!;
  const id = nextId();
  const expected = [model.run(control('do'), inTx, id, [])];
  const broken = item.items.some((s) => s.kind === 'broken');
  const ctx: StmtContext = { created: [], forbid: [delim], nul: true };
  const segs: Seg[] = [{ text: `DO ${delim} BEGIN `, owner: id }];
  item.items.forEach((spec, i) => {
    const sid = nextId();
    const r = renderStmt(spec, sid, { ...ctx, created: [...model.created] }, true);
    expected.push(broken ? { ...model.runBroken(r.sem, sid), features: ['in-do'] } : model.run(r.sem, true, sid, ['in-do']));
    segs.push(...r.segs, ...(item.seps.length ? sepSegs(item.seps[i % item.seps.length]!, ctx) : [text(' ')]));
  });
  segs.push({ text: `END ${delim}${item.tag % 2 ? ' LANGUAGE plpgsql' : ''}${semi ? ';' : ''}`, owner: id });
  return { segs, expected };
}

/**
 * The Python frontend's edit operations for fixes (`MigrationUnit.edits`), computed
 * from the syntax tree while it exists and handed to rules as closures over offsets:
 * - Alembic: `op.create_index` / `op.drop_index` options (`postgresql_concurrently=True`,
 *   `if_not_exists=True`, `if_exists=True`), and the statement wrapped in
 *   `with op.get_context().autocommit_block():`, Alembic's per-statement way out of its
 *   transaction (it commits what ran before: the fixes say so and are unsafe);
 * - Django: `AddIndex` → `AddIndexConcurrently`, `RemoveIndex` → `RemoveIndexConcurrently`
 *   (imported from `django.contrib.postgres.operations`), and `atomic = False` on the
 *   Migration class, without which Django refuses the concurrent operations;
 * - a swallowing `except` re-raises (excepts.ts).
 * Formatting and comments are kept: edits insert or replace single tokens, and a wrapped
 * statement's lines gain one indentation step (lines inside string literals keep their text).
 */
import type { Edit, Span } from '../../core/diagnostic.js';
import type { FrontendEdits, MigrationUnit, Phase, Statement, SwallowedCatchFact } from '../../core/unit.js';
import type { PyEnv } from './env.js';
import { findSwallowedExcepts } from './excepts.js';
import { named, nodeMemo, perNode, sameNode, type PyNode } from './parse.js';
import { keywords } from './strings.js';

const ALEMBIC_OPTIONS: Record<string, string> = { concurrently: 'postgresql_concurrently', ifNotExists: 'if_not_exists', ifExists: 'if_exists' };
/**
 * The `op.*` calls with `if_not_exists` / `if_exists`, and the Alembic release that added them
 * (Alembic's changelog: create_index / drop_index 1.12.0; create_table / drop_table 1.13.3, #1520;
 * add_column / drop_column 1.16.0, #1626; drop_constraint 1.16.0, #1650).
 */
const ALEMBIC_IF_EXISTS_SINCE: Record<string, string> = { create_index: '1.12', drop_index: '1.12', create_table: '1.13.3', drop_table: '1.13.3', add_column: '1.16', drop_column: '1.16', drop_constraint: '1.16' };

/** `text` as a Python string literal (double quotes unless it holds one and no single quote). */
export function pyString(text: string): string {
  const q = text.includes('"') && !text.includes("'") ? "'" : '"';
  return `${q}${text.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`).replace(/\n/g, '\\n')}${q}`;
}
const DJANGO_CONCURRENT: Record<string, string> = { AddIndex: 'AddIndexConcurrently', RemoveIndex: 'RemoveIndexConcurrently' };

/** The file's indentation step: the first indented line's whitespace, else four spaces. */
export function indentUnit(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? '    ';
}

/**
 * Wraps a statement in `<header>:` (a `with` line at its indentation, its lines one step
 * deeper). Null when the statement shares its line with other code.
 */
export function wrapStatement(stmt: PyNode, header: string, env: PyEnv): Edit[] | null {
  const text = env.source.text;
  const lineStart = text.lastIndexOf('\n', stmt.startIndex - 1) + 1;
  const indent = text.slice(lineStart, stmt.startIndex);
  if (!/^[ \t]*$/.test(indent)) return null;
  const step = indentUnit(text);
  // The string nodes only when the statement has a second line (from the file's strings, found once per file).
  let strings: PyNode[] | null = null;
  const edits: Edit[] = [{ start: lineStart, end: lineStart, text: `${indent}${header}:${env.source.eol}${step}` }];
  for (let at = text.indexOf('\n', stmt.startIndex); at >= 0 && at + 1 < stmt.endIndex; at = text.indexOf('\n', at + 1)) {
    const line = at + 1;
    strings ??= env.ofTypeWithin('string', stmt.startIndex, stmt.endIndex);
    if (!strings.some((s) => s.startIndex < line && line < s.endIndex)) edits.push({ start: line, end: line, text: step });
  }
  return edits;
}

/** The statement (child of a block or the module) holding `n`, or null. Asked once per node (an Alembic call's by its shape and by where a statement goes before it). */
export function statementOf(n: PyNode): PyNode | null {
  return perNode(STATEMENT, n, statementOfUncached);
}
const STATEMENT = nodeMemo<PyNode | null>();
function statementOfUncached(n: PyNode): PyNode | null {
  let s: PyNode | null = n;
  // Each `.parent` is a search from the root inside tree-sitter: read it once per step.
  while (s) {
    const up: PyNode | null = s.parent;
    if (up && (up.type === 'block' || up.type === 'module')) break;
    s = up;
  }
  return s;
}

/** A builder call's keyword arguments and where a new one goes. */
interface CallShape {
  callee: Span;
  calleeName: string;
  /** The callee as written (`op.create_index`, `batch_op.add_column`). */
  calleeText: string;
  kwValues: Map<string, Span>;
  /** Where `, name=value` is inserted (after the last argument), or where `name=value` goes in an empty call. */
  insertAt: number;
  empty: boolean;
  /** Edits wrapping the call's statement in Alembic's autocommit block, or null. */
  autocommit: Edit[] | null;
}

function shapeOf(call: PyNode, env: PyEnv, alembic: boolean): CallShape | null {
  const fn = call.childForFieldName('function');
  const args = call.childForFieldName('arguments');
  if (!fn || !args) return null;
  const list = named(args);
  const kwValues = new Map<string, Span>();
  for (const [k, v] of keywords(call)) kwValues.set(k, { start: v.startIndex, end: v.endIndex });
  const last = list.at(-1);
  const stmt = statementOf(call);
  // Only a call that is its own statement on an `op.` receiver (not `batch_op.` inside a batch block).
  const wrap = alembic && stmt?.type === 'expression_statement' && sameNode(named(stmt)[0], call) && /^op\./.test(fn.text) ? wrapStatement(stmt, 'with op.get_context().autocommit_block()', env) : null;
  return {
    callee: { start: fn.startIndex, end: fn.endIndex },
    calleeName: fn.text.split('.').pop() ?? '',
    calleeText: fn.text,
    kwValues,
    insertAt: last ? last.endIndex : args.startIndex + 1,
    empty: !last,
    autocommit: wrap,
  };
}

/** The Django Migration class's `atomic` assignment, or where one goes. */
function atomicEdit(cls: PyNode, env: PyEnv): Edit[] | null {
  const body = cls.childForFieldName('body');
  const first = body ? named(body)[0] : null;
  if (!body || !first) return null;
  for (const st of named(body)) {
    const a = st.type === 'expression_statement' ? named(st)[0] : null;
    if (a?.type === 'assignment' && a.childForFieldName('left')?.text === 'atomic') {
      const right = a.childForFieldName('right');
      return right ? [{ start: right.startIndex, end: right.endIndex, text: 'False' }] : null;
    }
  }
  const text = env.source.text;
  const lineStart = text.lastIndexOf('\n', first.startIndex - 1) + 1;
  const indent = text.slice(lineStart, first.startIndex);
  if (!/^[ \t]*$/.test(indent)) return null;
  const eol = env.source.eol;
  return [{ start: lineStart, end: lineStart, text: `${indent}atomic = False${eol}${eol}` }];
}

/** Where an import of `name` from django.contrib.postgres.operations goes (after the last top-level import, `importEnd`), or none when it is there. */
function djangoImport(name: string, text: string, eol: string, importEnd: number | null): Edit[] {
  if (new RegExp(`^from\\s+django\\.contrib\\.postgres\\.operations\\s+import\\s+[^\\n]*\\b${name}\\b`, 'm').test(text)) return [];
  const line = `from django.contrib.postgres.operations import ${name}`;
  if (importEnd === null) return [{ start: 0, end: 0, text: `${line}${eol}` }];
  return [{ start: importEnd, end: importEnd, text: `${eol}${line}` }];
}

/**
 * Where a statement goes that must run just before each statement that is the first its call
 * sends, in the up or down function (Alembic: the `op.*` call's own line) or the `operations`
 * list (Django: the operation's line; only `up`, since Django unapplies last to first): the start
 * of that line and its indentation. Calls sharing their line with other code are left out.
 */
function justBeforeEdits(env: PyEnv, unit: MigrationUnit): Map<Statement, { offset: number; indent: string }> {
  const out = new Map<Statement, { offset: number; indent: string }>();
  const alembic = unit.framework === 'alembic';
  if (!alembic && unit.framework !== 'django') return out;
  const { statements, callSpans } = env.collector;
  const byCall = new Map<string, PyNode>();
  for (const n of env.ofType('call')) byCall.set(`${n.startIndex}:${n.endIndex}`, n);
  const text = env.source.text;
  // The RunSQL a fix writes needs `migrations` imported from django.db: read once per file.
  const importsMigrations = !alembic && /^\s*from\s+django\.db\s+import\s+[^\n]*\bmigrations\b/m.test(text);
  statements.forEach((st, i) => {
    const span = callSpans[i]!;
    const prev = callSpans[i - 1];
    if (prev && prev.start === span.start && prev.end === span.end) return;
    if (st.phase === 'other' || (!alembic && st.phase !== 'up')) return;
    const call = byCall.get(`${span.start}:${span.end}`);
    if (!call) return;
    let at: PyNode | null = null;
    if (alembic) {
      const stmt = statementOf(call);
      if (/^op\./.test(call.childForFieldName('function')?.text ?? '') && stmt?.type === 'expression_statement' && sameNode(named(stmt)[0], call)) at = stmt;
    } else {
      // An element of `operations = [...]` or of a SeparateDatabaseAndState's `database_operations=[...]`.
      const list = call.parent;
      const owner = list?.type === 'list' ? list.parent : null;
      const ok = (owner?.type === 'assignment' && owner.childForFieldName('left')?.text === 'operations') || (owner?.type === 'keyword_argument' && owner.childForFieldName('name')?.text === 'database_operations');
      if (ok && importsMigrations) at = call;
    }
    if (!at) return;
    const lineStart = text.lastIndexOf('\n', at.startIndex - 1) + 1;
    const indent = text.slice(lineStart, at.startIndex);
    if (/^[ \t]*$/.test(indent)) out.set(st, { offset: lineStart, indent });
  });
  return out;
}

/** Builds the unit's edit operations (call before the tree is deleted). */
export function pythonEdits(env: PyEnv, unit: MigrationUnit, djangoClass: PyNode | null): FrontendEdits {
  const alembic = unit.framework === 'alembic';
  const django = unit.framework === 'django';
  const calls = new Map<number, CallShape>();
  if (alembic || django) {
    const starts = new Set(unit.statements.filter((s) => s.origin === 'builder').map((s) => s.span.start));
    for (const n of env.ofType('call')) if (starts.has(n.startIndex)) {
      const shape = shapeOf(n, env, alembic);
      if (shape) calls.set(n.startIndex, shape);
    }
  }
  // `op.execute("...")` of a single statement: its call statement can go into the autocommit block too.
  const rawWraps = new Map<number, Edit[]>();
  if (alembic) {
    const { statements, callSpans } = env.collector;
    const perCall = new Map<number, number>();
    for (const sp of callSpans) perCall.set(sp.start, (perCall.get(sp.start) ?? 0) + 1);
    const byStart = new Map<number, PyNode>();
    for (const n of env.ofType('call')) if (/^op\.execute$/.test(n.childForFieldName('function')?.text ?? '')) byStart.set(n.startIndex, n);
    statements.forEach((st, i) => {
      const call = byStart.get(callSpans[i]!.start);
      const stmt = call ? statementOf(call) : null;
      if (st.origin === 'builder' || !call || perCall.get(call.startIndex) !== 1 || stmt?.type !== 'expression_statement' || !sameNode(named(stmt)[0], call)) return;
      const wrap = wrapStatement(stmt, 'with op.get_context().autocommit_block()', env);
      if (wrap) rawWraps.set(st.span.start, wrap);
    });
  }
  const before = justBeforeEdits(env, unit);
  const atomic = django && djangoClass ? atomicEdit(djangoClass, env) : null;
  const importEnd = named(env.root).filter((n) => n.type === 'import_from_statement' || n.type === 'import_statement').at(-1)?.endIndex ?? null;
  const rethrows = new Map<string, Edit[]>();
  const facts: SwallowedCatchFact[] = [];
  for (const { fact, rethrow } of findSwallowedExcepts(env)) {
    facts.push(fact);
    if (rethrow) rethrows.set(`${fact.span.start}:${fact.span.end}`, rethrow);
  }
  unit.swallowedCatches.push(...facts);

  const edits: FrontendEdits = {
    rethrow: (c) => rethrows.get(`${c.span.start}:${c.span.end}`)?.map((e) => ({ ...e })) ?? null,
    rethrowTitle: 'Re-raise the error at the end of the except (a bare `raise`)',
  };
  if (alembic || django) {
    edits.insertStatementJustBefore = (s: Statement, sql: string) => {
      const b = before.get(s);
      if (!b) return null;
      return [{ start: b.offset, end: b.offset, text: `${b.indent}${alembic ? `op.execute(${pyString(sql)})` : `migrations.RunSQL(${pyString(sql)}, reverse_sql=migrations.RunSQL.noop),`}${env.source.eol}` }];
    };
  }
  if (alembic) {
    // Only `op.` calls: a batch block's calls (`batch_op.add_column`) are left alone.
    const optionCall = (s: Statement, options: Record<string, boolean>) => {
      const shape = calls.get(s.span.start);
      if (!shape || !/^op\./.test(shape.calleeText)) return null;
      const since = ALEMBIC_IF_EXISTS_SINCE[shape.calleeName];
      const index = /^(create_index|drop_index)$/.test(shape.calleeName);
      return Object.keys(options).every((o) => (o === 'concurrently' ? index : (o === 'ifNotExists' || o === 'ifExists') && since !== undefined)) ? { shape, since } : null;
    };
    edits.builderOptionsNeed = (s: Statement, options: Record<string, boolean>) => {
      const c = optionCall(s, options);
      return c?.since && (options.ifNotExists || options.ifExists) ? `Alembic ${c.since} or newer` : null;
    };
    edits.setBuilderOptions = (s: Statement, options: Record<string, boolean>) => {
      const shape = optionCall(s, options)?.shape;
      if (!shape) return null;
      const out: Edit[] = [];
      const added: string[] = [];
      for (const [opt, value] of Object.entries(options)) {
        const kw = ALEMBIC_OPTIONS[opt];
        if (!kw) return null;
        const py = value ? 'True' : 'False';
        const at = shape.kwValues.get(kw);
        if (at) out.push({ start: at.start, end: at.end, text: py });
        else added.push(`${kw}=${py}`);
      }
      if (added.length) out.push({ start: shape.insertAt, end: shape.insertAt, text: shape.empty ? added.join(', ') : `, ${added.join(', ')}` });
      return out;
    };
    edits.runOutsideTransaction = (s: Statement, first?: string) => {
      const wrap = s.origin === 'builder' ? calls.get(s.span.start)?.autocommit : rawWraps.get(s.span.start);
      if (!wrap) return null;
      const out = wrap.map((e) => ({ ...e }));
      if (first !== undefined) {
        // The statement to run first goes inside the block, at the wrapped statement's indentation.
        const indent = /^[ \t]*/.exec(env.source.text.slice(out[0]!.start))![0];
        out[0]!.text += `${indent}op.execute(${pyString(first)})${env.source.eol}${indentUnit(env.source.text)}`;
      }
      return {
        edits: out,
        how: `run it in \`with op.get_context().autocommit_block():\`${first !== undefined ? `, after \`op.execute(${pyString(first)})\`` : ''}`,
        caveat: 'the block commits everything the migration ran before it, so a failure after it no longer rolls that back',
      };
    };
  }
  if (django) {
    edits.setBuilderOptions = (s: Statement, options: Record<string, boolean>) => {
      const shape = calls.get(s.span.start);
      const to = shape ? DJANGO_CONCURRENT[shape.calleeName] : undefined;
      if (!shape || !to || !options.concurrently) return null;
      return [{ start: shape.callee.start, end: shape.callee.end, text: to }, ...djangoImport(to, env.source.text, env.source.eol, importEnd)];
    };
    edits.disableTransaction = (_phase: Phase) => (atomic ? atomic.map((e) => ({ ...e })) : null);
  }
  return edits;
}

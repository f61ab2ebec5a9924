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
import { named, sameNode, type PyNode } from './parse.js';
import { keywords } from './strings.js';

const ALEMBIC_OPTIONS: Record<string, string> = { concurrently: 'postgresql_concurrently', ifNotExists: 'if_not_exists', ifExists: 'if_exists' };
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
  const strings = stmt.descendantsOfType('string').filter((s): s is PyNode => !!s);
  const edits: Edit[] = [{ start: lineStart, end: lineStart, text: `${indent}${header}:${env.source.eol}${step}` }];
  for (let at = text.indexOf('\n', stmt.startIndex); at >= 0 && at + 1 < stmt.endIndex; at = text.indexOf('\n', at + 1)) {
    const line = at + 1;
    if (!strings.some((s) => s.startIndex < line && line < s.endIndex)) edits.push({ start: line, end: line, text: step });
  }
  return edits;
}

/** The statement (child of a block or the module) holding `n`, or null. */
export function statementOf(n: PyNode): PyNode | null {
  let s: PyNode | null = n;
  while (s && !(s.parent && (s.parent.type === 'block' || s.parent.type === 'module'))) s = s.parent;
  return s;
}

/** A builder call's keyword arguments and where a new one goes. */
interface CallShape {
  callee: Span;
  calleeName: string;
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
  if (alembic) {
    edits.setBuilderOptions = (s: Statement, options: Record<string, boolean>) => {
      const shape = calls.get(s.span.start);
      if (!shape || !/^(create_index|drop_index)$/.test(shape.calleeName)) return null;
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
    edits.runOutsideTransaction = (s: Statement) => {
      const wrap = s.origin === 'builder' ? calls.get(s.span.start)?.autocommit : rawWraps.get(s.span.start);
      if (!wrap) return null;
      return {
        edits: wrap.map((e) => ({ ...e })),
        how: 'run it in `with op.get_context().autocommit_block():`',
        caveat: `the block commits everything the migration ran before it, so a failure after it no longer rolls that back${s.origin === 'builder' ? '; `if_not_exists` needs Alembic 1.12 or newer' : ''}`,
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

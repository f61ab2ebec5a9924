/**
 * Enum changes and the string constants a statement uses, for the enum rules.
 *
 * PostgreSQL behaviour relied on (sql-altertype.html, Notes; datatype-enum.html):
 * `ALTER TYPE ... ADD VALUE` run inside a transaction block adds a value that
 * cannot be used until the transaction commits (unsafe_new_enum_value_usage,
 * 55P04), unless the type itself was created in that transaction; a quoted
 * constant compared with, assigned to or cast to the enum is such a use.
 */
import type { Node } from 'libpg-query';
import { stringList } from './locks.js';
import { fromNameList, type RelationName } from './names.js';

export interface EnumChange {
  type: RelationName;
  /** The value added (`ADD VALUE`) or the new name (`RENAME VALUE`). */
  value: string;
  /** `ADD VALUE`: whether it says where the value goes (`BEFORE` / `AFTER`). */
  placed: boolean;
  rename: boolean;
}

/** The enum change of an `ALTER TYPE ... ADD VALUE | RENAME VALUE`, or null for other statements. */
export function enumChange(node: Node): EnumChange | null {
  if (!('AlterEnumStmt' in node)) return null;
  const s = node.AlterEnumStmt;
  const type = fromNameList(stringList({ List: { items: s.typeName ?? [] } }));
  if (!type || !s.newVal) return null;
  return { type, value: s.newVal, placed: !!s.newValNeighbor, rename: !!s.oldVal };
}

export interface StringConstant {
  value: string;
  /** The last part of the type it is cast to (`'x'::mood` → `mood`), or null. */
  castTo: string | null;
}

/** Every quoted string constant in a statement's tree, with the type it is cast to (one walk over the node). */
export function stringConstants(node: Node): StringConstant[] {
  const out: StringConstant[] = [];
  const walk = (v: unknown, castTo: string | null): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, null);
      return;
    }
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if ('A_Const' in o) {
      const c = o.A_Const as { sval?: { sval?: string } };
      if (c.sval) out.push({ value: c.sval.sval ?? '', castTo });
      return;
    }
    if ('TypeCast' in o) {
      const t = o.TypeCast as { arg?: unknown; typeName?: { names?: Node[] } };
      const names = stringList({ List: { items: t.typeName?.names ?? [] } });
      walk(t.arg, names[names.length - 1] ?? null);
      return;
    }
    for (const k of Object.keys(o)) walk(o[k], null);
  };
  walk(node, null);
  return out;
}

/**
 * The SQL parses of one open document, kept from one lint to the next: after an edit, only
 * the SQL texts the edit changed are parsed again (a TypeScript migration's query strings and
 * builder statements each are one text). A parse depends on its text alone, never on the
 * configuration, so nothing here goes stale: a text not seen before is simply parsed. A
 * TypeScript/JavaScript document's syntax tree is kept too, for the next lint's incremental parse.
 */
import { MemoStore } from '../core/file-memo.js';
import type { ParsedSql, ParseMemo } from '../sql/parse.js';
import { ScriptTrees } from '../sources/typescript/script-trees.js';

export class DocumentParses implements ParseMemo {
  /** The document's last TypeScript/JavaScript tree (`RunOptions.scriptTrees`). */
  readonly trees = new ScriptTrees();
  /** What the analysis worked out about the kept parses' nodes (`RunOptions.memos`). */
  readonly memos = new MemoStore();
  /** What the previous lint parsed (or took from the one before), by text. */
  private previous = new Map<string, ParsedSql>();
  /** What this lint has parsed or reused so far. */
  private current = new Map<string, ParsedSql>();

  get(sql: string): ParsedSql | undefined {
    let parsed = this.current.get(sql);
    if (parsed === undefined) {
      parsed = this.previous.get(sql);
      if (parsed !== undefined) this.current.set(sql, parsed);
    }
    return parsed;
  }

  set(sql: string, parsed: ParsedSql): void {
    this.current.set(sql, parsed);
  }

  /** Starts the next lint: what the last lint did not use is dropped, so the cache holds at most two lints' texts. */
  nextLint(): void {
    this.previous = this.current;
    this.current = new Map();
  }

  /** How many texts are held (for tests). */
  get size(): number {
    return new Set([...this.previous.keys(), ...this.current.keys()]).size;
  }
}

/**
 * Placeholders for values the frontend cannot know (`${expr}` in a template, a
 * variable passed as a builder's table name, a query binding), numbered once
 * per unit: the same expression text gets the same placeholder everywhere in
 * the file, so `CREATE TABLE ${T}` followed by `CREATE INDEX ... ON ${T}` is
 * recognised as an index on the created table, while `${NEW_TABLE}` and
 * `${OLD_TABLE}` stay different tables.
 *
 * Two forms: a parameter `$n` where the grammar wants a value (numbered after
 * the highest `$n` the file's own text uses, so pg parameters never collide),
 * and the quoted identifier `"${expr}"` where it wants a name (the message then
 * shows the expression the user wrote).
 */

/** The expression's text as a key: whitespace does not distinguish expressions. */
function keyOf(text: string): string {
  return text.replace(/\s+/g, '');
}

export class Placeholders {
  private readonly ids = new Map<string, { id: number; name: string }>();
  private readonly base: number;

  /** `text` is the whole file, scanned for the `$n` parameters it already uses. */
  constructor(text: string) {
    let max = 0;
    for (const m of text.matchAll(/\$(\d{1,6})/g)) max = Math.max(max, Number(m[1]));
    this.base = max;
  }

  private entry(text: string): { id: number; name: string } {
    const key = keyOf(text);
    let e = this.ids.get(key);
    if (!e) {
      // The first spelling seen names the expression everywhere.
      e = { id: this.ids.size + 1, name: `\${${text.replace(/\s+/g, ' ').trim().replace(/\./g, '_').replace(/"/g, "'")}}` };
      this.ids.set(key, e);
    }
    return e;
  }

  /** The value placeholder of an expression: `$n`. */
  param(text: string): string {
    return `$${this.base + this.entry(text).id}`;
  }

  /**
   * The name an expression stands for, unquoted: `${expr}`, whitespace collapsed,
   * dots (which would read as a schema qualifier) and double quotes replaced.
   */
  name(text: string): string {
    return this.entry(text).name;
  }

  /** The identifier placeholder of an expression: `"${expr}"`. */
  ident(text: string): string {
    return `"${this.name(text)}"`;
  }
}

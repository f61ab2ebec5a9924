/**
 * The value of a framework's transaction switch as the code writes it
 * (TypeORM's `transaction = false`, knex's `config = { transaction: false }`).
 * Parentheses, `as const`, `satisfies`, `!` and `const` aliases
 * (`const NO_TX = false; ... transaction = NO_TX`) are the literal they wrap;
 * a conditional whose branches agree is that value; anything else (a call, a
 * condition on the environment) is decided at run time.
 */
import { Node } from './morph.js';
import { unwrap, type ConstTable } from './literals.js';

/** `true`/`false` as written, `'default'` for `undefined` (the framework's default), `'runtime'` when only running the code tells. */
export type SwitchValue = boolean | 'default' | 'runtime';

/** The value of a switch's initializer (at most a few `const` names deep). */
export function switchValue(expr: Node, consts: ConstTable, depth = 0): SwitchValue {
  const n = unwrap(expr);
  if (Node.isTrueLiteral(n)) return true;
  if (Node.isFalseLiteral(n)) return false;
  if (Node.isIdentifier(n)) {
    if (n.getText() === 'undefined') return 'default';
    const init = depth < 4 ? consts.resolve(n) : undefined;
    return init ? switchValue(init, consts, depth + 1) : 'runtime';
  }
  if (Node.isConditionalExpression(n)) {
    const a = switchValue(n.getWhenTrue(), consts, depth);
    const b = switchValue(n.getWhenFalse(), consts, depth);
    return a === b ? a : 'runtime';
  }
  return 'runtime';
}

/** The switch's code for messages: whitespace collapsed, shortened past about 60 characters. */
export function switchText(n: Node): string {
  const text = n.getText().replace(/\s+/g, ' ');
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

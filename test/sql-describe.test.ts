import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isPlaceholder, quoteName } from '../src/sql/describe.js';

it('quoteName quotes each dot-separated part, drops double quotes inside one and shows placeholders as such', () => {
  const cases: [string, string][] = [
    ['leads', '"leads"'],
    ['public.leads', '"public"."leads"'],
    ['a.b.c', '"a"."b"."c"'],
    ['"Leads"', '"Leads"'],
    ['a"b."c"', '"ab"."c"'],
    ['', '""'],
    ['.', '"".""'],
    ['a.', '"a".""'],
    ['___', '<placeholder>'],
    ['public.____', '"public".<placeholder>'],
    ['$1.t', '<placeholder>."t"'],
    ['__', '"__"'],
    ['$', '"$"'],
    ['$a', '"$a"'],
    ['_x_', '"_x_"'],
    ['ü.ß', '"ü"."ß"'],
  ];
  for (const [name, quoted] of cases) assert.equal(quoteName(name), quoted, name);
});

it('isPlaceholder: three or more underscores, or $ and digits, and nothing else', () => {
  for (const p of ['___', '_____', '$1', '$12']) assert.equal(isPlaceholder(p), true, p);
  for (const p of ['', '_', '__', '$', '$a', '$1a', 'a___', '___a', ' ___', '1']) assert.equal(isPlaceholder(p), false, p);
});

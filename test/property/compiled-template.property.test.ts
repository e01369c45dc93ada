import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileJson, compileString } from '../../harness/contracts/compiled-template.ts';
import { renderString, renderValue } from '../../harness/contracts/template.ts';

/**
 * The request templates a load iteration fills in (compiled once: literal parts and holes) give
 * exactly what rendering the template walk gives, on random templates and variables: the same
 * body text byte for byte, the same path and header values. A difference here would send the
 * targets something other than what the config says.
 */

const NAMES = ['a', 'b', 'iteration', 'unique', 'step.id', 'missing'];
const placeholder = fc.constantFrom(...NAMES).map((n) => `{{${n}}}`);
const placeholderSpaced = fc.constantFrom(...NAMES).map((n) => `{{ ${n} }}`);
const text = fc.string({ maxLength: 6 });
/** Strings with and without placeholders, whole or inside text, and near misses (`{{`, `{{1}}`). */
const tmpl = fc.oneof(
  text,
  placeholder,
  placeholderSpaced,
  fc.array(fc.oneof(text, placeholder, placeholderSpaced, fc.constantFrom('{{', '}}', '{{1}}', '{ {a}}', '$&', '$1')), { maxLength: 5 }).map((xs) => xs.join('')),
);
const leaf = fc.oneof(tmpl, fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const body = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.oneof(text, placeholder), tie('value'), { maxKeys: 4 })),
})).value;
const varValue = fc.oneof(fc.string({ maxLength: 5 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }), fc.array(fc.integer(), { maxLength: 3 }));
const vars = fc.record({ a: varValue, b: varValue, iteration: fc.nat(), unique: fc.string({ maxLength: 8 }), 'step.id': varValue }, { requiredKeys: ['iteration', 'unique'] }).map((r) => new Map(Object.entries(r)));

describe('compiled request templates', () => {
  it('a JSON body renders to the same text as JSON.stringify(renderValue(...))', () => {
    fc.assert(
      fc.property(body, vars, (b, v) => {
        expect(compileJson(b)(v)).toBe(JSON.stringify(renderValue(b, v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('a string renders as renderString does, with and without an encoder (a path)', () => {
    fc.assert(
      fc.property(tmpl, vars, (t, v) => {
        expect(compileString(t)(v)).toBe(renderString(t, v));
        expect(compileString(t, encodeURIComponent)(v)).toBe(renderString(t, v, encodeURIComponent));
      }),
      { numRuns: 2000 },
    );
  });

  it('a typed whole placeholder keeps its type; a missing one is null; keys with placeholders render', () => {
    const v = new Map<string, unknown>([
      ['id', 42],
      ['obj', { x: [1, 'two'] }],
      ['k', 'key'],
    ]);
    const b = { id: '{{id}}', obj: '{{ obj }}', none: '{{nope}}', text: 'id-{{id}}-{{nope}}', '{{k}}': 1, list: ['{{id}}', 'x'] };
    expect(JSON.parse(compileJson(b)(v))).toEqual({ id: 42, obj: { x: [1, 'two'] }, none: null, text: 'id-42-', key: 1, list: [42, 'x'] });
    expect(compileJson(b)(v)).toBe(JSON.stringify(renderValue(b, v)));
  });
});

import { describe, expect, it } from 'vitest';
import type { ResolvedScenario } from '../../harness/config/load.ts';
import { planIteration, render } from '../../harness/load/plan.ts';

// The body template is compiled once per scenario; every body must be exactly what rendering the
// template's strings and serializing it afresh gives.
function reference(template: unknown, vars: Record<string, string>): string | undefined {
  const walk = (v: unknown): unknown =>
    typeof v === 'string' ? render(v, vars) : Array.isArray(v) ? v.map(walk) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)])) : v;
  return template === undefined || template === null ? undefined : JSON.stringify(walk(template));
}

const scenario = (body: unknown): ResolvedScenario =>
  ({
    name: 's',
    route: 'chat',
    body,
    sessionId: 'sess-{{iteration}}',
    headers: {},
    promptsFile: 'p.jsonl',
    prompts: [{ text: 'plain' }, { text: 'quotes " and \\ and\nnewline, {{prompt}} and unicode ☕ 🚀' }],
  }) as unknown as ResolvedScenario;

describe('planIteration: request bodies', () => {
  const templates: unknown[] = [
    undefined,
    null,
    { message: '{{prompt}}', session_id: '{{session_id}}' },
    { model: 'x', stream: true, n: 3, t: 0.5, nothing: null, messages: [{ role: 'user', content: 'Q: {{prompt}} ({{iteration}}/{{request_id}})' }, 'fixed', 7] },
    ['{{prompt}}', '{{ prompt }}', '{{unknown}}', '{{', '}}'],
    { '{{prompt}}': 'keys are not rendered', 2: 'integer keys first', a: { b: { c: ['{{session_id}}'] } } },
    { marker: '\u0000parity:0\u0000', text: '{{prompt}}' },
    'a bare string: {{prompt}}',
    42,
  ];
  it.each(templates.map((t, i) => [i, t]))('template %i renders exactly as a fresh serialization', (_i, template) => {
    const sc = scenario(template);
    for (let it = 0; it < 6; it++) {
      const plan = planIteration([sc], it, 'run"1');
      const vars = { iteration: String(it), request_id: `run"1-${it}`, prompt: plan.prompt.text, session_id: plan.sessionId };
      expect(plan.body).toBe(reference(template, vars));
    }
  });

  it('scenarios and prompts take turns', () => {
    const a = scenario({ m: '{{prompt}}' });
    const b = { ...scenario({ m: 'b {{prompt}}' }), name: 'b' } as ResolvedScenario;
    const bodies = [0, 1, 2, 3].map((i) => planIteration([a, b], i, 'r').body);
    expect(bodies).toEqual(['{"m":"plain"}', '{"m":"b plain"}', JSON.stringify({ m: a.prompts[1]!.text }), JSON.stringify({ m: `b ${a.prompts[1]!.text}` })]);
  });
});

describe('render: compiled templates', () => {
  it('fills known placeholders, keeps unknown ones as written, and never reads Object.prototype', () => {
    const vars = { prompt: 'hi $& $1', iteration: '3' };
    expect(render('{{ prompt }}/{{iteration}}/{{nope}}/{{constructor}}/{{toString}}/{{', vars)).toBe('hi $& $1/3/{{nope}}/{{constructor}}/{{toString}}/{{');
    expect(render('no placeholders', vars)).toBe('no placeholders');
    // Compiled once per text: a second call with other values renders those.
    expect(render('{{ prompt }}/{{iteration}}/{{nope}}/{{constructor}}/{{toString}}/{{', { prompt: 'p', iteration: '4' })).toBe('p/4/{{nope}}/{{constructor}}/{{toString}}/{{');
  });
});

import { describe, expect, it } from 'vitest';
import type { DiffRulesConfig } from '../../harness/config/schema.ts';
import type { CompiledFlow, CompiledStep } from '../../harness/contracts/compile.ts';
import { diffJson } from '../../harness/contracts/diff.ts';
import { compareResponses, normalizeResponse } from '../../harness/contracts/normalize.ts';
import { comparePointers } from '../../harness/contracts/pointer.ts';
import { compileRules } from '../../harness/contracts/rules.ts';
import type { StepObservation } from '../../harness/contracts/runner.ts';
import { ContractTally, summarizeStep } from '../../harness/contracts/tally.ts';
import { renderContracts } from '../../harness/reporters/contracts.ts';
import { renderHtml } from '../../harness/reporters/html.ts';
import { renderJunit } from '../../harness/reporters/junit.ts';
import { renderMarkdown } from '../../harness/reporters/markdown.ts';
import { failingRun } from '../reporters/fixtures.ts';

const rules = (r: Partial<DiffRulesConfig> = {}) => compileRules([{ ignore: [], formats: {}, unordered: {}, tolerance: {}, ...r }]);
const flow = { name: 'f' } as CompiledFlow;
const step = { name: 's' } as CompiledStep;
const obs = (): StepObservation => ({ flow, step, iteration: 0, requestId: 'r', requests: {}, responses: {}, failures: {}, generated: {} });
const json = (status: number, body: unknown) => normalizeResponse({ status, headers: { 'content-type': 'application/json' }, bodyText: JSON.stringify(body), durationMs: 1 });

describe('grouped array drift', () => {
  it('indices collapse to /items/*/id with pairs, occurrences and the first examples in numeric order', () => {
    const items = (p: string) => Array.from({ length: 12 }, (_, i) => ({ id: `${p}${i}`, n: i }));
    const tally = new ContractTally();
    for (let pair = 0; pair < 3; pair++) tally.add(obs(), diffJson({ items: items('a') }, { items: items('b') }, rules()), undefined);
    const s = summarizeStep(tally.steps.values().next().value!).summary;
    expect(s.drift).toHaveLength(1);
    expect(s.drift[0]).toMatchObject({ pointer: '/items/*/id', kind: 'value', class: 'value', count: 3, occurrences: 36 });
    expect(s.drift[0]!.examples!.map((e) => e.pointer)).toEqual(['/items/0/id', '/items/1/id', '/items/2/id']);
    expect(s.drift[0]!.example).toMatchObject({ pointer: '/items/0/id', baseline: 'a0', candidate: 'b0' });
    expect(s.classes).toEqual({ breaking: 0, additive: 0, value: 3 });
    const text = renderContracts([s], { color: false, baseline: 'a', candidate: 'b' });
    expect(text).toContain('value    value          /items/*/id  "a0" → "b0"  (3× in 36 places, first /items/0/id /items/1/id /items/2/id)');
  });

  it('noise learned at one index covers the group; it hides values only, never a missing element field', () => {
    const tally = new ContractTally();
    const base = { items: [{ id: 'x1', v: 1 }, { id: 'x2', v: 2 }] };
    const replica = { items: [{ id: 'y1', v: 1 }, { id: 'y2', v: 2 }] };
    const cand = { items: [{ id: 'z1', v: 1 }, { v: 2 }] };
    tally.add(obs(), diffJson(base, cand, rules()), diffJson(base, replica, rules()));
    const s = summarizeStep(tally.steps.values().next().value!).summary;
    expect(s.noise).toEqual([{ pointer: '/items/*/id', count: 1 }]);
    expect(s.drift.map((d) => `${d.pointer} ${d.kind} ${d.class}`)).toEqual(['/items/*/id missing breaking']);
  });

  it('noise at a pointer does not hide a type change or a missing field there', () => {
    const tally = new ContractTally();
    tally.add(obs(), diffJson({ id: 'u1', at: 't1' }, { id: 7 }, rules()), diffJson({ id: 'u1', at: 't1' }, { id: 'u2', at: 't2' }, rules()));
    const s = summarizeStep(tally.steps.values().next().value!).summary;
    expect(s.noise.map((n) => n.pointer)).toEqual(['/at', '/id']);
    expect(s.drift.map((d) => `${d.pointer} ${d.kind}`)).toEqual(['/at missing', '/id type']);
  });

  it('pointers sort by segment, indices numerically', () => {
    expect(['/a/10/x', '/a/2/x', '/a/1/x', '/b', '', '/a/1'].sort(comparePointers)).toEqual(['', '/a/1', '/a/1/x', '/a/2/x', '/a/10/x', '/b']);
  });
});

describe('the root pointer', () => {
  it('shows as (root) in every report, never as an empty code span', () => {
    const d = compareResponses(json(200, { a: 1 }), normalizeResponse({ status: 200, headers: { 'content-type': 'text/html' }, bodyText: '<p>hi</p>', durationMs: 1 }), { headers: [], rules: rules(), body: true });
    expect(d.map((x) => `${x.pointer} ${x.kind} ${x.class}`)).toEqual([' type breaking']);
    const tally = new ContractTally();
    tally.add(obs(), d, undefined);
    const s = summarizeStep(tally.steps.values().next().value!).summary;
    const run = { ...failingRun(), contracts: [s] };
    const md = renderMarkdown(run);
    expect(md).toContain('`(root)` breaking type ×1');
    expect(md).not.toContain('``');
    expect(renderHtml(run)).toContain('<code>(root)</code>');
    expect(renderJunit(run)).toContain('(root) breaking type ×1');
    expect(renderContracts([s], { color: false, baseline: 'a', candidate: 'b' })).toContain('breaking type           (root)');
  });
});

describe('equivalence and normalizers in bodies', () => {
  it('number-string: 42 ≡ "42", but a uuid against a number is still a type change', () => {
    const r = rules({ equivalent: { '/id': 'number-string' } });
    expect(diffJson({ id: 42, n: 1 }, { id: '42', n: 1 }, r)).toEqual([]);
    expect(diffJson({ id: 42 }, { id: '43' }, r).map((x) => `${x.pointer} ${x.kind}`)).toEqual(['/id value']);
    expect(diffJson({ id: 'c9a6…' }, { id: 7 }, r).map((x) => `${x.pointer} ${x.kind}`)).toEqual(['/id type']);
    // Elsewhere, the same change is still a type drift.
    expect(diffJson({ n: 1 }, { n: '1' }, r).map((x) => `${x.pointer} ${x.kind} ${x.class}`)).toEqual(['/n type breaking']);
  });

  it('origin and regex replacements in body values, per side', () => {
    const r = rules({ normalize: { '/next': 'origin', '/ref': { pattern: '\\d+', replace: 'N' } } });
    const sides = { a: { baseUrl: 'http://127.0.0.1:1000/api' }, b: { baseUrl: 'http://127.0.0.1:2000/api' } };
    expect(diffJson({ next: 'http://127.0.0.1:1000/api/x?page=2', ref: 'R-1' }, { next: 'http://127.0.0.1:2000/api/x?page=2', ref: 'R-22' }, r, [], [], sides)).toEqual([]);
    expect(diffJson({ next: 'http://127.0.0.1:1000/api/x?page=2' }, { next: 'http://127.0.0.1:2000/api/x?page=3' }, r, [], [], sides).map((x) => x.pointer)).toEqual(['/next']);
  });

  it('echo mapping: each side\'s own generated value is one placeholder; a type change still shows', () => {
    const sides = { a: { generated: [{ name: 'unique', value: 'run-0-0-b' }, { name: 'lot_id', value: 'uuid-aaaa' }] }, b: { generated: [{ name: 'unique', value: 'run-0-0-c' }, { name: 'lot_id', value: 'uuid-bbbb' }] } };
    const a = { code: 'LOT-run-0-0-b', error: 'lot_code LOT-run-0-0-b already exists', lot_id: 'uuid-aaaa' };
    const same = { code: 'LOT-run-0-0-c', error: 'lot_code LOT-run-0-0-c already exists', lot_id: 'uuid-bbbb' };
    expect(diffJson(a, same, rules(), [], [], sides)).toEqual([]);
    // A candidate echoing some other id than the one it was sent: drift.
    expect(diffJson(a, { ...same, lot_id: 'uuid-cccc' }, rules(), [], [], sides).map((x) => `${x.pointer} ${x.kind}`)).toEqual(['/lot_id value']);
    const cand = { code: 'LOT-run-0-0-c', error: 'duplicate lot LOT-run-0-0-c', lot_id: 5 };
    expect(diffJson(a, cand, rules(), [], [], sides).map((x) => `${x.pointer} ${x.kind}`)).toEqual(['/error value', '/lot_id type']);
    // Without the sides, every echo differs.
    expect(diffJson(a, same, rules()).map((x) => x.pointer)).toEqual(['/code', '/error', '/lot_id']);
  });
});

describe('default drift classes', () => {
  const withHeaders = (headers: Record<string, string>) => normalizeResponse({ status: 200, headers: { 'content-type': 'application/json', ...headers }, bodyText: '{}', durationMs: 1 });
  it('array → object breaking; extra header additive; removed header breaking; header value value; media type breaking', () => {
    expect(diffJson({ items: [] }, { items: {} }, rules()).map((d) => `${d.pointer} ${d.kind} ${d.class}`)).toEqual(['/items type breaking']);
    const opts = { headers: ['content-type', 'x-a', 'x-b', 'x-c'], rules: rules(), body: true };
    const d = compareResponses(withHeaders({ 'x-a': '1', 'x-c': 'v1' }), { ...withHeaders({ 'x-b': '2', 'x-c': 'v2' }), headers: { 'content-type': 'text/plain', 'x-b': '2', 'x-c': 'v2' } }, opts);
    expect(d.map((x) => `${x.pointer} ${x.kind} ${x.class}`)).toEqual([
      '/content-type header breaking',
      '/x-a header_missing breaking',
      '/x-b header_extra additive',
      '/x-c header value',
    ]);
  });

  it('a rule reclassifies: a whole pointer, or one kind there; headers through the headers block', () => {
    const r = rules({ classes: { '/status': 'breaking', '/legacy': { missing: 'additive' } }, headers: { ignore: [], formats: {}, classes: { 'x-a': { header_missing: 'value' } } } });
    expect(diffJson({ status: 'open', legacy: 1 }, { status: 'closed' }, r).map((x) => `${x.pointer} ${x.kind} ${x.class}`)).toEqual(['/status value breaking', '/legacy missing additive']);
    const d = compareResponses(withHeaders({ 'x-a': '1' }), withHeaders({}), { headers: ['content-type'], rules: r, body: false });
    expect(d.map((x) => `${x.pointer} ${x.kind} ${x.class}`)).toEqual(['/x-a header_missing value']);
  });
});

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redactedConfig, resolveConfig } from '../../harness/config/load.ts';
import type { ConfigInput, DiffRulesConfig } from '../../harness/config/schema.ts';
import { diffJson } from '../../harness/contracts/diff.ts';
import { compareResponses, normalizeResponse } from '../../harness/contracts/normalize.ts';
import { compileRules } from '../../harness/contracts/rules.ts';

const rules = (r: Partial<DiffRulesConfig> = {}) => compileRules([{ ignore: [], formats: {}, unordered: {}, tolerance: {}, ...r }]);
const kinds = (a: unknown, b: unknown, r = rules()) => diffJson(a, b, r).map((d) => `${d.pointer} ${d.kind}`);

describe('diffJson', () => {
  it('names each difference by JSON pointer and kind', () => {
    expect(kinds({ a: 1, b: 'x', c: [1, 2], d: { e: true } }, { a: '1', b: 'y', c: [1], d: { f: true } })).toEqual([
      '/a type',
      '/b value',
      '/c array_length',
      '/d/e missing',
      '/d/f extra',
    ]);
    expect(kinds({ 'a/b': 1, 'c~d': 1 }, { 'a/b': 2, 'c~d': 2 })).toEqual(['/a~1b value', '/c~0d value']);
    expect(kinds({ same: [1, { x: null }] }, { same: [1, { x: null }] })).toEqual([]);
    expect(kinds(null, {})).toEqual([' type']);
  });

  it('ignores pointers with wildcards: * one segment, ** any depth', () => {
    const a = { items: [{ id: 'a', n: 1 }, { id: 'b', n: 2 }], meta: { trace: { id: 'x' } } };
    const b = { items: [{ id: 'c', n: 1 }, { id: 'd', n: 3 }], meta: { trace: { id: 'y' } } };
    expect(kinds(a, b, rules({ ignore: ['/items/*/id'] }))).toEqual(['/items/1/n value', '/meta/trace/id value']);
    expect(kinds(a, b, rules({ ignore: ['/**/id'] }))).toEqual(['/items/1/n value']);
  });

  it('compares by format or type only', () => {
    const r = rules({ formats: { '/id': 'uuid', '/at': 'iso-datetime', '/n': 'type' } });
    const a = { id: '123e4567-e89b-12d3-a456-426614174000', at: '2026-01-18T10:00:00.123Z', n: 1 };
    expect(kinds(a, { id: '9b2f0c1e-5d3a-4c6b-8e7f-0a1b2c3d4e5f', at: '2026-01-18T11:00:00Z', n: 7 }, r)).toEqual([]);
    expect(kinds(a, { id: 42, at: 'yesterday', n: '7' }, r)).toEqual(['/id type', '/at value', '/n type']);
  });

  it('matches unordered arrays by key', () => {
    const r = rules({ unordered: { '/qc': 'decision' } });
    const a = { qc: [{ decision: 'PASS', by: 'a' }, { decision: 'HOLD', by: 'b' }] };
    expect(kinds(a, { qc: [{ decision: 'HOLD', by: 'b' }, { decision: 'PASS', by: 'a' }] }, r)).toEqual([]);
    expect(kinds(a, { qc: [{ decision: 'HOLD', by: 'x' }, { decision: 'FAIL', by: 'a' }] }, r)).toEqual(['/qc/0 missing', '/qc/1/by value', '/qc/1 extra']);
    // Without the rule, order matters.
    expect(kinds(a, { qc: [{ decision: 'HOLD', by: 'b' }, { decision: 'PASS', by: 'a' }] })).toHaveLength(4);
  });

  it('numeric tolerance, absolute or relative', () => {
    expect(kinds({ p: 1.0 }, { p: 1.004 }, rules({ tolerance: { '/p': 0.01 } }))).toEqual([]);
    expect(kinds({ p: 1.0 }, { p: 1.02 }, rules({ tolerance: { '/p': 0.01 } }))).toEqual(['/p value']);
    expect(kinds({ p: 200 }, { p: 201 }, rules({ tolerance: { '/p': '1%' } }))).toEqual([]);
    expect(kinds({ p: 200 }, { p: 203 }, rules({ tolerance: { '/p': '1%' } }))).toEqual(['/p value']);
  });
});

describe('compareResponses', () => {
  const json = (status: number, body: string, ct = 'application/json') => normalizeResponse({ status, headers: { 'Content-Type': ct }, bodyText: body, durationMs: 1 });
  const opts = { headers: ['content-type'], rules: rules(), body: true };

  it('a non-JSON body against a JSON one is a type difference at the root', () => {
    const d = compareResponses(json(404, '{"error":"x"}'), json(404, '<h1>Not Found</h1>', 'text/html'), opts);
    expect(d.map((x) => `${x.pointer} ${x.kind}`)).toEqual(['/content-type header', ' type']);
    expect(d[1]!.candidate).toEqual({ notJson: '<h1>Not Found</h1>', contentType: 'text/html' });
  });

  it('status and content-type media type; charset is not a difference', () => {
    const d = compareResponses(json(400, '{}', 'application/json; charset=utf-8'), json(422, '{}', 'application/json'), opts);
    expect(d).toEqual([{ pointer: '', kind: 'status', baseline: 400, candidate: 422, class: 'breaking' }]);
  });

  it('no response at all is a status difference', () => {
    const none = normalizeResponse({ status: null, headers: {}, bodyText: '', error: { code: 'ECONNREFUSED', message: 'refused' }, durationMs: 1 });
    expect(compareResponses(json(200, '{"a":1}'), none, opts).map((x) => x.kind)).toEqual(['status', 'header_missing', 'missing']);
  });
});

describe('body schemas', () => {
  const cfg = (schema: unknown): ConfigInput => ({
    targets: [
      { name: 'a', role: 'baseline', baseUrl: 'http://127.0.0.1:1', routes: {} },
      { name: 'b', role: 'candidate', baseUrl: 'http://127.0.0.1:2', routes: {} },
    ],
    contracts: { flows: [{ name: 'f', steps: [{ name: 's', route: 'GET /x', expect: { schema: schema as Record<string, unknown> } }] }] },
  });

  it('a zod schema in a TS config validates the body', async () => {
    const loaded = await resolveConfig(cfg(z.object({ id: z.uuid() })), 'c.ts');
    const validate = loaded.contracts!.flows[0]!.steps[0]!.expect.schema!;
    expect(await validate({ id: '123e4567-e89b-12d3-a456-426614174000' })).toEqual([]);
    expect((await validate({ id: 7 }))[0]).toMatch(/^at id: /);
    // run.json echoes the config; a schema object is named, not serialized.
    expect(JSON.stringify(redactedConfig(loaded))).toContain('"schema":"[schema object]"');
  });

  it('a JSON Schema with formats validates the body', async () => {
    const loaded = await resolveConfig(cfg({ type: 'object', required: ['at'], properties: { at: { type: 'string', format: 'date-time' } } }), 'c.yaml');
    const validate = loaded.contracts!.flows[0]!.steps[0]!.expect.schema!;
    expect(await validate({ at: '2026-01-18T10:00:00Z' })).toEqual([]);
    expect(await validate({ at: 'soon' })).toEqual(['/at must match format "date-time"']);
    expect(await validate({})).toEqual(["(root) must have required property 'at'"]);
  });
});

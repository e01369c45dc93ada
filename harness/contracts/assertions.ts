import type { CompiledStep } from './compile.ts';
import { diffJson, deepEqual } from './diff.ts';
import { MAX_JSON_DEPTH, type Observed } from './normalize.ts';
import { renderString, renderValue, type Vars } from './template.ts';

/**
 * A step's assertions on one target's response: status, JSON body, schema, values at JSON paths,
 * text contains/matches (the streamed text for stream steps), read-back of an earlier step.
 * Returns one failure per failed assertion (an empty list is a pass): `check` names the assertion
 * (stable across pairs, for counting), `message` says what this response did.
 */
export interface Failure {
  check: string;
  message: string;
}

/**
 * A failed check into the list. A module function, not a closure made per call: the harness runs on
 * tsx, whose esbuild keeps function names, so a named closure costs a defineProperty each time it
 * is made (once per checked response here).
 */
function failWith(fails: Failure[], check: string, message: string): void {
  fails.push({ check, message });
}

export async function checkStep(step: CompiledStep, o: Observed, vars: Vars, earlier: ReadonlyMap<string, Observed>): Promise<Failure[]> {
  const fails: Failure[] = [];
  if (o.status === null) return [{ check: 'response', message: `no response: ${o.error?.code ?? 'ERROR'}: ${o.error?.message ?? ''}` }];
  const e = step.expect;
  if (e.status && !e.status.includes(o.status)) failWith(fails, 'status', `status ${o.status}, expected ${e.status.join(' or ')}`);
  if (step.stream && o.error) failWith(fails, 'stream', `stream did not complete: ${o.error.code}: ${o.error.message}`);
  if (o.tooDeep) failWith(fails, 'json', `the body is JSON nested deeper than ${MAX_JSON_DEPTH} levels; parity compares and asserts on bodies up to that depth (compared as text)`);
  else if (e.json && o.body !== undefined && !o.json) failWith(fails, 'json', `expected a JSON body, got ${o.headers['content-type'] ?? 'no content-type'}: ${preview(String(o.body))}`);
  if (o.json) {
    if (e.schema) for (const m of await e.schema(o.body)) failWith(fails, 'schema', `schema: ${m}`);
    for (const v of e.values) {
      const expected = renderValue(v.expected, vars);
      const got = v.path.get(o.body);
      if (!deepEqual(got, expected)) failWith(fails, `values ${v.path.source}`, `${v.path.source} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
  } else if (e.schema || e.values.length) {
    if (!(e.json && o.body !== undefined) && !o.tooDeep) failWith(fails, 'json', 'schema/values: the body is not JSON');
  }
  const text = step.stream ? (o.text ?? '') : typeof o.body === 'string' && !o.json ? o.body : o.body === undefined ? '' : JSON.stringify(o.body);
  for (const c of e.contains) {
    const want = renderString(c, vars);
    if (!text.includes(want)) failWith(fails, `contains ${c}`, `${step.stream ? 'streamed text' : 'body'} does not contain ${JSON.stringify(want)}: ${preview(text)}`);
  }
  for (const re of e.matches) if (!re.test(text)) failWith(fails, `matches ${re.source}`, `${step.stream ? 'streamed text' : 'body'} does not match /${re.source}/: ${preview(text)}`);
  if (step.readBack) for (const m of readBack(step.readBack, o, earlier.get(step.readBack.step))) failWith(fails, 'read-back', m);
  return fails;
}

function readBack(rb: NonNullable<CompiledStep['readBack']>, o: Observed, before: Observed | undefined): string[] {
  if (!before?.json) return [`read-back: step "${rb.step}" has no JSON body to compare with`];
  if (!o.json) return ['read-back: this response is not JSON'];
  if (rb.paths) {
    return rb.paths.flatMap((p) => {
      const a = p.get(before.body);
      const b = p.get(o.body);
      return deepEqual(a, b) ? [] : [`read-back ${p.source}: ${JSON.stringify(b)}, but step "${rb.step}" returned ${JSON.stringify(a)}`];
    });
  }
  // Without paths: everything the earlier step returned must be here, unchanged (extra fields are fine).
  return diffJson(before.body, o.body, rb.rules)
    .filter((d) => d.kind !== 'extra')
    .slice(0, 5)
    .map((d) => `read-back ${d.pointer || '(root)'}: ${d.kind}, step "${rb.step}" returned ${JSON.stringify(d.baseline)}, read back ${JSON.stringify(d.candidate)}`);
}

function preview(s: string, n = 120): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n)}…` : one;
}

import { getOwn } from '../json/own.ts';
import type { Failure } from './assertions.ts';
import type { CompiledStep } from './compile.ts';
import type { Observed } from './normalize.ts';

/**
 * A step's captures on one side: each value found is stored under its name and `step.name`; a
 * capture that finds nothing (or null, or "") is a failure naming the capture, and the flow runner
 * stops that flow run there rather than send an empty value.
 */
export type CaptureFailure = Failure & { capture: string };

/**
 * What capture `c` reads from a response: a header (own keys only: a header named "constructor" that
 * the answer lacks is not found) or a JSON path into the body.
 */
export function captureValue(c: CompiledStep['captures'][number], o: Observed): unknown {
  if (c.header !== undefined) return getOwn(o.headers, c.header);
  return o.json ? c.path!.get(o.body) : undefined;
}

export function capture(step: CompiledStep, o: Observed, vars: Map<string, unknown>): { failures: CaptureFailure[]; captured: [string, unknown][] } {
  const failures: CaptureFailure[] = [];
  const captured: [string, unknown][] = [];
  for (const c of step.captures) {
    const v = captureValue(c, o);
    if (v === undefined || v === null || v === '') {
      const what = c.header !== undefined ? `header ${c.header}` : c.path!.source;
      failures.push({ check: `capture ${c.name}`, capture: c.name, message: `capture ${c.name}: ${what} ${v === undefined ? 'not found in the response' : `is ${JSON.stringify(v)}`}` });
      continue;
    }
    vars.set(c.name, v);
    vars.set(`${step.name}.${c.name}`, v);
    captured.push([c.name, v]);
  }
  return { failures, captured };
}

import type { RunResult } from './result.ts';

/**
 * Harness warnings for request and flow scenarios whose 2xx answers were SSE streams
 * (text/event-stream), read as whole responses by the request probe (its sample's
 * `streamReadWhole`, counted per scenario and side in the summaries' `streamsReadWhole`). A whole
 * read of a stream measures none of what makes a stream right: first content, interruptions, the
 * terminal event. A candidate cutting its streams short or ending them with an error event answered
 * 200 and a body that ended: `ok`, 0% errors, a pass. The rule `parity shadow` (kind auto) and
 * `parity replay` apply to the same sample flag: counted, and a warning that holds back a
 * pass, naming the scenario and the fix. There is no opt-out: a stream read whole can never tell a
 * broken stream from a good one, and a stream scenario measures the same route properly.
 */
export function readWholeWarnings(summaries: RunResult['summaries']): string[] {
  const out: string[] = [];
  for (const s of summaries) {
    if (s.kind !== 'request' && s.kind !== 'flow') continue;
    const b = s.baseline.streamsReadWhole ?? 0;
    const c = s.candidate.streamsReadWhole ?? 0;
    if (b + c === 0) continue;
    const fix = s.kind === 'flow' ? 'move that step out of the flow into a scenario of its own with type: stream (flows send no stream steps under load)' : 'make it type: stream (with the target\'s stream profile) so its streams are measured';
    out.push(
      `scenario ${s.scenario} (type: ${s.kind}): ${b} baseline and ${c} candidate answers were SSE streams (2xx text/event-stream) read as whole responses: first content, interruptions and the terminal event were not measured, so a stream cut short or ending in an error event read as ok; ${fix}`,
    );
  }
  return out;
}

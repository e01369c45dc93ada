import type { RawResult } from '../raw/run.ts';

/** raw.json as a table for the terminal (and CI logs). */
export function renderRaw(r: RawResult): string {
  const n = (v: number, d = 1) => v.toFixed(d);
  const head = ['target', 'role', 'req/s', '2xx/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'timeouts'];
  const rows = r.targets.map((t) => [t.name, t.role, n(t.requestsPerSec), t.okPerSec === undefined ? '–' : n(t.okPerSec), n(t.latencyMs.p50), n(t.latencyMs.p90), n(t.latencyMs.p99), n(t.latencyMs.max), String(t.status['2xx']), String(t.non2xx), String(t.errors), String(t.timeouts)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
  return [
    `raw throughput (autocannon): ${r.durationSec} s, ${r.connections} connections per target, ${r.concurrent ? 'both targets at once' : 'one target after the other'}${r.complete ? '' : ' — INTERRUPTED, partial figures'}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    r.ratios.okPerSec === undefined
      ? `candidate ÷ baseline: req/s ${x(r.ratios.requestsPerSec)}, latency p50 ${x(r.ratios.latencyP50)}, p99 ${x(r.ratios.latencyP99)}`
      : `candidate ÷ baseline: 2xx/s ${x(r.ratios.okPerSec)} (all answers ${x(r.ratios.requestsPerSec)}), latency p50 ${x(r.ratios.latencyP50)}, p99 ${x(r.ratios.latencyP99)}`,
    ...r.targets.flatMap(failedShare),
  ].join('\n');
}

/**
 * A target some of whose requests got no 2xx: said in so many words, since its req/s and latency
 * (autocannon's, over every answer) count its error answers too, and an error answer is fast.
 */
function failedShare(t: RawResult['targets'][number]): string[] {
  // autocannon's `errors` include its timeouts.
  const failed = t.requests - t.status['2xx'] + t.errors;
  if (failed <= 0) return [];
  const of = t.requests + t.errors;
  const parts = [`3xx ${t.status['3xx']}`, `4xx ${t.status['4xx']}`, `5xx ${t.status['5xx']}`, `connection errors ${t.errors - t.timeouts}`, `timeouts ${t.timeouts}`].filter((p) => !p.endsWith(' 0'));
  return [`WARNING ${t.role} ${t.name}: ${((100 * failed) / of).toFixed(1)}% of requests got no 2xx (${parts.join(', ')}); its req/s and latency include those answers: compare 2xx/s`];
}

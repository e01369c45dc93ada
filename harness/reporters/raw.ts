import type { RawResult } from '../raw/run.ts';

/** raw.json as a table for the terminal (and CI logs). */
export function renderRaw(r: RawResult): string {
  const n = (v: number, d = 1) => v.toFixed(d);
  const head = ['target', 'role', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', '2xx', 'non-2xx', 'errors', 'timeouts'];
  const rows = r.targets.map((t) => [t.name, t.role, n(t.requestsPerSec), n(t.latencyMs.p50), n(t.latencyMs.p90), n(t.latencyMs.p99), n(t.latencyMs.max), String(t.status['2xx']), String(t.non2xx), String(t.errors), String(t.timeouts)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
  return [
    `raw throughput (autocannon): ${r.durationSec} s, ${r.connections} connections per target, ${r.concurrent ? 'both targets at once' : 'one target after the other'}${r.complete ? '' : ' — INTERRUPTED, partial figures'}`,
    '',
    line(head),
    ...rows.map(line),
    '',
    `candidate ÷ baseline: req/s ${x(r.ratios.requestsPerSec)}, latency p50 ${x(r.ratios.latencyP50)}, p99 ${x(r.ratios.latencyP99)}`,
  ].join('\n');
}

/** Units a gate's numbers are reported in (GateResult.unit), and how they read in words. */
export type ReportUnit = 'ms' | 'rate' | 'pp' | 'ratio' | 'count' | 'chars/s' | 'tokens/s' | 'per_s' | 'chars' | 'tokens';

const trim = (v: number, digits: number) => String(Number(v.toFixed(digits)));

export function formatValue(v: number | null, unit: ReportUnit): string {
  if (v === null) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  switch (unit) {
    case 'ms':
      // FAILED_MS (gates/metrics.ts): a percentile that fell on failed requests.
      return v >= 1e9 ? 'failed' : `${trim(v, 1)} ms`;
    case 'rate':
      return `${trim(v * 100, 2)}%`;
    case 'pp':
      return `${v >= 0 ? '+' : ''}${trim(v, 2)} pp`;
    case 'ratio':
      return `${trim(v, 3)}x`;
    case 'count':
      return String(v);
    case 'chars/s':
      return `${trim(v, 1)} chars/s`;
    case 'tokens/s':
      return `${trim(v, 1)} tokens/s`;
    case 'chars':
      return `${trim(v, 1)} chars`;
    case 'tokens':
      return `${trim(v, 1)} tokens`;
    case 'per_s':
      return `${trim(v, 2)}/s`;
  }
}

export function formatInterval(i: { low: number; high: number; level: number } | null, unit: ReportUnit): string {
  return i ? `${Math.round(i.level * 100)}% CI [${formatValue(i.low, unit)}, ${formatValue(i.high, unit)}]` : 'no interval';
}

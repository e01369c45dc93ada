import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

/**
 * One metric family read from a Prometheus text exposition (parsed by parse-prometheus-text-format,
 * not by hand): the samples whose labels match the series' filters, summed. Pure.
 */
export type Reading =
  | { kind: 'counter' | 'gauge' | 'untyped'; value: number }
  | { kind: 'histogram'; buckets: [number, number][]; count: number };

export function parseExposition(text: string): ParsedFamily[] {
  return parsePrometheusTextFormat(text);
}

/** The family `name`, its matching samples summed; a string says why there is none. */
export function readFamily(families: readonly ParsedFamily[], name: string, labels: Record<string, string> | undefined): Reading | string {
  const family = families.find((f) => f.name === name);
  if (!family) return `metric "${name}" is not exposed`;
  const filters = Object.entries(labels ?? {}).map(([k, v]) => [k, new RegExp(`^(?:${v})$`)] as const);
  const matching = family.metrics.filter((s) => filters.every(([k, re]) => re.test(s.labels?.[k] ?? '')));
  if (matching.length === 0) return `metric "${name}" has no samples${filters.length ? ` matching ${JSON.stringify(labels)}` : ''}`;
  switch (family.type) {
    case 'HISTOGRAM':
      return histogram(matching);
    case 'SUMMARY':
      return `metric "${name}" is a summary; read one quantile with labels: { quantile: "0.95" } after exposing it as a gauge, or use a histogram`;
    default: {
      const kind = family.type === 'COUNTER' || (family.type === 'UNTYPED' && name.endsWith('_total')) ? 'counter' : family.type === 'GAUGE' ? 'gauge' : 'untyped';
      return { kind, value: matching.reduce((a, s) => a + Number(s.value), 0) };
    }
  }
}

function histogram(samples: readonly ParsedSample[]): Reading {
  const by = new Map<number, number>();
  for (const s of samples) for (const [le, c] of Object.entries(s.buckets ?? {})) {
    const bound = le === '+Inf' ? Infinity : Number(le);
    by.set(bound, (by.get(bound) ?? 0) + Number(c));
  }
  return { kind: 'histogram', buckets: [...by.entries()].sort((a, b) => a[0] - b[0]), count: samples.reduce((a, s) => a + Number(s.count ?? 0), 0) };
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket the rank falls in,
 * as PromQL's histogram_quantile; null when the buckets hold nothing.
 */
export function bucketQuantile(q: number, buckets: readonly [number, number][]): number | null {
  const total = buckets.length ? buckets[buckets.length - 1]![1] : 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of buckets) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      if (count === prevCount) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

/** Cumulative buckets of `after` minus `before` (a counter reset counts from zero). */
export function bucketDelta(before: readonly [number, number][], after: readonly [number, number][]): [number, number][] {
  const prev = new Map(before);
  const reset = after.some(([b, c]) => c < (prev.get(b) ?? 0));
  return after.map(([b, c]) => [b, reset ? c : c - (prev.get(b) ?? 0)]);
}

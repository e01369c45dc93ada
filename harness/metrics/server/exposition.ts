import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

/**
 * One metric family read from a Prometheus text exposition (parsed by parse-prometheus-text-format,
 * not by hand): the samples whose labels match the series' filters, summed. Pure.
 */
export type Reading =
  | { kind: 'counter' | 'gauge' | 'untyped'; value: number }
  | { kind: 'histogram'; buckets: [number, number][]; count: number };

/**
 * The text's metric families. The parser (parse-prometheus-text-format 1.1.1, the maintained-enough
 * one on npm; its fix for this, yunyu/parse-prometheus-text-format#8, is unmerged) flattens a
 * histogram's samples into one whatever their labels: the last label set's buckets win, labels
 * and counts of labelled series are dropped. So histograms are handed to it untyped — each
 * `_bucket` / `_count` / `_sum` line then keeps its labels (the parser still does the lexing:
 * escapes, values) — and put back together here, one sample per label set.
 */
export function parseExposition(text: string): ParsedFamily[] {
  const histograms = new Set<string>();
  const untyped = text.replace(/^#[ \t]+TYPE[ \t]+(\S+)[ \t]+histogram[ \t]*$/gm, (_line, name: string) => {
    histograms.add(name);
    return `# TYPE ${name} untyped`;
  });
  const families = parsePrometheusTextFormat(untyped);
  if (histograms.size === 0) return families;
  const partOf = (family: string): [string, 'bucket' | 'count' | 'sum'] | undefined => {
    const m = /^(.*)_(bucket|count|sum)$/.exec(family);
    return m && histograms.has(m[1]!) ? [m[1]!, m[2] as 'bucket' | 'count' | 'sum'] : undefined;
  };
  const rebuilt = new Map<string, Map<string, ParsedSample>>();
  const out: ParsedFamily[] = [];
  for (const f of families) {
    const part = partOf(f.name);
    if (!part) {
      // The histogram's own (now untyped, sample-less) family: typed again, its samples filled below.
      if (histograms.has(f.name)) out.push({ ...f, type: 'HISTOGRAM', metrics: [] });
      else out.push(f);
      continue;
    }
    const [name, kind] = part;
    let sets = rebuilt.get(name);
    if (!sets) rebuilt.set(name, (sets = new Map()));
    for (const m of f.metrics) {
      const { le, ...labels } = m.labels ?? {};
      const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
      let sample = sets.get(key);
      if (!sample) sets.set(key, (sample = Object.keys(labels).length ? { labels } : {}));
      if (kind === 'bucket' && le !== undefined) (sample.buckets ??= {})[le] = m.value!;
      else if (kind === 'count') sample.count = m.value;
      else if (kind === 'sum') sample.sum = m.value;
    }
  }
  for (const f of out) if (f.type === 'HISTOGRAM' && histograms.has(f.name)) f.metrics = [...(rebuilt.get(f.name)?.values() ?? [])];
  return out;
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

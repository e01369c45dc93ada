import { esc } from './format.ts';

/**
 * Tiny pure SVG charts for the HTML reports: a line chart (CDFs, timelines, trends) and a grouped
 * bar chart (histograms, breakdowns). Colors come from CSS classes (`s-baseline`, `s-candidate`,
 * ...) so the page's light/dark styles apply; numbers are rounded so output is stable.
 */

export interface Axis {
  label: string;
  format?: (v: number) => string;
  log?: boolean;
  min?: number;
  max?: number;
}
export interface LineSeries {
  name: string;
  /** CSS class giving the stroke color and dash (see the page's stylesheet). */
  cls: string;
  points: readonly (readonly [number, number])[];
}
export interface Band {
  from: number;
  to: number;
  label: string;
}
export interface BarSeries {
  name: string;
  cls: string;
  values: readonly number[];
}

const W = 560;
const H = 250;
const M = { l: 58, r: 14, t: 14, b: 42 };
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Evenly spaced "nice" ticks (1, 2, 2.5, 5 × 10^k) covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  // Outward to whole steps, so the top and bottom of the data sit on a labelled line.
  for (let v = Math.floor(min / step + 1e-9) * step; v < max + step * (1 - 1e-9); v += step) ticks.push(Math.round(v / step) * step);
  return ticks.map((t) => Number(t.toPrecision(12)));
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

interface Scale {
  at: (v: number) => number;
  ticks: number[];
}
function scale(axis: Axis, lo: number, hi: number, from: number, to: number): Scale {
  if (axis.log) {
    const a = Math.log10(Math.max(lo, 1e-6));
    const b = Math.log10(Math.max(hi, lo * 10));
    return { at: (v) => from + ((Math.log10(Math.max(v, 10 ** a)) - a) / (b - a)) * (to - from), ticks: logTicks(10 ** a, 10 ** b) };
  }
  const ticks = niceTicks(lo, hi);
  const a = Math.min(lo, ticks[0]!);
  const b = Math.max(hi, ticks.at(-1)!, a + 1e-9);
  return { at: (v) => from + ((v - a) / (b - a)) * (to - from), ticks };
}

function frame(id: string, title: string, legend: { name: string; cls: string }[], body: string, note?: string, swatch = 'line'): string {
  const items = legend.map((s) => `<span class="key ${swatch} ${esc(s.cls)}"><i></i>${esc(s.name)}</span>`).join('');
  return (
    `<figure class="chart" data-chart="${esc(id)}"><figcaption>${esc(title)}</figcaption>` +
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${body}</svg>` +
    `<div class="legend">${items}</div>${note ? `<p class="note">${esc(note)}</p>` : ''}</figure>`
  );
}

/** A figure that says there is nothing to plot, instead of an empty frame. */
export function emptyChart(id: string, title: string, why: string): string {
  return `<figure class="chart chart-empty" data-chart="${esc(id)}"><figcaption>${esc(title)}</figcaption><p class="absent">${esc(why)}</p></figure>`;
}

function axes(x: Scale, y: Scale, xa: Axis, ya: Axis, xLabels = true): string {
  const fx = xa.format ?? String;
  const fy = ya.format ?? String;
  const parts: string[] = [];
  for (const t of y.ticks) {
    const py = r1(y.at(t));
    parts.push(`<line class="grid" x1="${M.l}" x2="${W - M.r}" y1="${py}" y2="${py}"/><text class="tick" x="${M.l - 6}" y="${py + 3.5}" text-anchor="end">${esc(fy(t))}</text>`);
  }
  if (xLabels) {
    for (const t of x.ticks) {
      const px = r1(x.at(t));
      parts.push(`<line class="grid" x1="${px}" x2="${px}" y1="${M.t}" y2="${H - M.b}"/><text class="tick" x="${px}" y="${H - M.b + 15}" text-anchor="middle">${esc(fx(t))}</text>`);
    }
  }
  parts.push(`<line class="axis" x1="${M.l}" x2="${W - M.r}" y1="${H - M.b}" y2="${H - M.b}"/><line class="axis" x1="${M.l}" x2="${M.l}" y1="${M.t}" y2="${H - M.b}"/>`);
  parts.push(`<text class="label" x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle">${esc(xa.label)}</text>`);
  parts.push(`<text class="label" transform="translate(13 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(ya.label)}</text>`);
  return parts.join('');
}

/** Lines over a shared x axis; `step` draws a step function (CDFs, per-second counts); `bands` shade x ranges (load stages). */
export function lineChart(o: { id: string; title: string; series: LineSeries[]; x: Axis; y: Axis; step?: boolean; bands?: Band[]; markers?: boolean; note?: string; spread?: number }): string {
  const all = o.series.flatMap((s) => s.points);
  if (all.length === 0) return emptyChart(o.id, o.title, 'No data to plot.');
  const xs = all.map((p) => p[0]).filter((v) => !o.x.log || v > 0);
  const ys = all.map((p) => p[1]);
  const x = scale(o.x, o.x.min ?? Math.min(...xs), o.x.max ?? Math.max(...xs), M.l, W - M.r);
  const y = scale(o.y, o.y.min ?? Math.min(0, ...ys), o.y.max ?? Math.max(...ys, 1e-9), H - M.b, M.t);
  const parts: string[] = [];
  for (const [i, b] of (o.bands ?? []).entries()) {
    const x0 = r1(x.at(b.from));
    const x1 = r1(x.at(b.to));
    // Alternate shading and a line at each start, so adjacent stages read as separate.
    parts.push(
      `<g class="band${i % 2 ? ' alt' : ''}"><rect x="${x0}" y="${M.t}" width="${r1(Math.max(x1 - x0, 1))}" height="${H - M.t - M.b}"/>` +
        `<line x1="${x0}" x2="${x0}" y1="${M.t}" y2="${H - M.b}"/><text x="${r1(x0 + 4)}" y="${M.t + 11}">${esc(b.label)}</text></g>`,
    );
  }
  parts.push(axes(x, y, o.x, o.y));
  for (const [si, s] of o.series.entries()) {
    if (s.points.length === 0) continue;
    // `spread`: series k drawn k × spread px higher, so lines with equal values lie side by side instead of on top of each other.
    const lift = (o.spread ?? 0) * si;
    const pts = s.points.map(([px, py]) => [r1(x.at(px)), r1(y.at(py) - lift)] as const);
    let d = `M${pts[0]![0]},${pts[0]![1]}`;
    for (let i = 1; i < pts.length; i++) d += o.step ? `H${pts[i]![0]}V${pts[i]![1]}` : `L${pts[i]![0]},${pts[i]![1]}`;
    parts.push(`<path class="series ${esc(s.cls)}" d="${d}"><title>${esc(s.name)}</title></path>`);
    if (o.markers) {
      for (const [i, [px, py]] of pts.entries()) {
        const [vx, vy] = s.points[i]!;
        parts.push(`<circle class="dot ${esc(s.cls)}" cx="${px}" cy="${py}" r="3"><title>${esc(`${s.name}: ${(o.y.format ?? String)(vy)} at ${(o.x.format ?? String)(vx)}`)}</title></circle>`);
      }
    }
  }
  return frame(o.id, o.title, o.series, parts.join(''), o.note);
}

/** Grouped bars, one group per category, one bar per series. */
export function barChart(o: { id: string; title: string; categories: string[]; series: BarSeries[]; x: { label: string }; y: Axis; note?: string }): string {
  const max = Math.max(0, ...o.series.flatMap((s) => s.values));
  if (o.categories.length === 0 || max === 0) return emptyChart(o.id, o.title, 'No data to plot.');
  // Headroom above the tallest bar: it never touches the top of the chart.
  const y = scale(o.y, 0, max * 1.08, H - M.b, M.t);
  const band = (W - M.l - M.r) / o.categories.length;
  const inner = band * 0.8;
  const bw = inner / o.series.length;
  const parts: string[] = [axes({ at: () => 0, ticks: [] }, y, { label: o.x.label }, o.y, false)];
  const every = Math.ceil(o.categories.length / 14);
  o.categories.forEach((cat, i) => {
    const gx = M.l + band * i + (band - inner) / 2;
    // Counted from the last category, so the last bar always sits under a label.
    if ((o.categories.length - 1 - i) % every === 0) parts.push(`<text class="tick" x="${r1(M.l + band * (i + 0.5))}" y="${H - M.b + 15}" text-anchor="middle">${esc(cat)}</text>`);
    o.series.forEach((s, j) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return;
      const top = r1(y.at(v));
      parts.push(
        `<rect class="bar ${esc(s.cls)}" x="${r1(gx + bw * j)}" y="${top}" width="${r1(Math.max(bw - 1, 1))}" height="${r1(H - M.b - top)}"><title>${esc(`${s.name} · ${cat}: ${(o.y.format ?? String)(v)}`)}</title></rect>`,
      );
    });
  });
  return frame(o.id, o.title, o.series, parts.join(''), o.note, 'box');
}

/**
 * Baseline against candidate, one pair of bars per outcome (the failures charts of streams and
 * requests); `empty` when no outcome has a count, so the figure says so instead of showing a frame.
 */
export function outcomeBars(o: { id: string; title: string; empty: string; rows: readonly { outcome: string; baseline: number; candidate: number }[]; targets: { baseline: string; candidate: string }; unit: string; format: (v: number) => string; note: string }): string {
  if (o.rows.length === 0) return emptyChart(o.id, o.title, o.empty);
  return barChart({
    id: o.id,
    title: o.title,
    categories: o.rows.map((r) => r.outcome),
    series: [
      { name: `${o.targets.baseline} (baseline)`, cls: 's-baseline', values: o.rows.map((r) => r.baseline) },
      { name: `${o.targets.candidate} (candidate)`, cls: 's-candidate', values: o.rows.map((r) => r.candidate) },
    ],
    x: { label: 'outcome' },
    y: { label: o.unit, format: o.format },
    note: o.note,
  });
}

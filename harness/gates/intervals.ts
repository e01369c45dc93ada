import { probit } from 'simple-statistics';

/**
 * Closed-form confidence intervals for rates (proportions), all built on the Wilson score
 * interval, which stays honest near 0% and 100% where the normal approximation does not (0 events
 * in 300 streams is not "0% ± 0"):
 *
 *   one rate               Wilson score interval (Wilson 1927)
 *   candidate − baseline   Newcombe's hybrid score interval (Newcombe 1998, method 10), i.e. MOVER
 *                          combining the two Wilson intervals
 *   candidate / baseline   MOVER-Wilson for a ratio (Donner & Zou 2012)
 *
 * Pairing is not used for rates: each side keeps its own denominator (as in run.json), and
 * treating the sides as independent gives a wider interval than a paired one when outcomes are
 * positively correlated, so the error is on the side of "inconclusive", never of a false pass.
 */
export interface Interval {
  low: number;
  high: number;
}

/** Two-sided level → z, e.g. 0.90 → 1.645. */
export function zFor(level: number): number {
  return probit(1 - (1 - level) / 2);
}

export function wilson(events: number, n: number, z: number): Interval {
  if (n <= 0) return { low: 0, high: 1 };
  const p = events / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // At 0 or n events the score interval's bound is exactly 0 or 1; keep rounding from moving it.
  return { low: events === 0 ? 0 : Math.max(0, centre - half), high: events === n ? 1 : Math.min(1, centre + half) };
}

/** Newcombe hybrid score interval for p2 − p1 (candidate − baseline). */
export function newcombeDiff(k1: number, n1: number, k2: number, n2: number, z: number): Interval {
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const a = wilson(k1, n1, z);
  const b = wilson(k2, n2, z);
  const d = p2 - p1;
  return {
    low: d - Math.sqrt((p2 - b.low) ** 2 + (a.high - p1) ** 2),
    high: d + Math.sqrt((b.high - p2) ** 2 + (p1 - a.low) ** 2),
  };
}

/**
 * MOVER-Wilson interval for p2 / p1 (candidate / baseline). Undefined (null) when the baseline
 * rate is 0: no ratio to a zero baseline exists, whatever the candidate did.
 */
export function moverRatio(k1: number, n1: number, k2: number, n2: number, z: number): Interval | null {
  if (k1 === 0 || n1 === 0 || n2 === 0) return null;
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const w1 = wilson(k1, n1, z);
  const w2 = wilson(k2, n2, z);
  // θ1 = p2 (numerator, Wilson l2/u2), θ2 = p1 (denominator, l1/u1). Each limit is the root of
  // a·R² − 2·θ1θ2·R + c = 0 (where the MOVER interval for θ1 − R·θ2 just reaches 0); a may be
  // negative for a rare baseline rate, which the formula handles, and is 0 only at one point.
  const prod = p2 * p1;
  const root = (a: number, c: number, sign: 1 | -1): number => {
    if (Math.abs(a) < 1e-15) return c / (2 * prod);
    return (prod + sign * Math.sqrt(Math.max(0, prod * prod - a * c))) / a;
  };
  const low = k2 === 0 ? 0 : Math.max(0, root(w1.high * (2 * p1 - w1.high), w2.low * (2 * p2 - w2.low), -1));
  const highA = w1.low * (2 * p1 - w1.low);
  const high = highA > 0 ? root(highA, w2.high * (2 * p2 - w2.high), 1) : Infinity;
  return { low, high };
}

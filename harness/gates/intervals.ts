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

/** Two-sided level → z, e.g. 0.90 → 1.6449, 0.95 → 1.9600. */
export function zFor(level: number): number {
  return normalQuantile(1 - (1 - level) / 2);
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
 * simple-statistics' `probit` is only good to about three digits (1.957 for 0.975), which moves
 * interval limits in the fourth decimal: enough to flip a gate sitting on its threshold.
 */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (k: number[], x: number) => k.reduce((acc, v) => acc * x + v, 0);
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
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

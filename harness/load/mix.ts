/**
 * Which scenario iteration i runs. Without weights, scenario i mod S (every scenario in turn, as
 * always). With weights (k6 scenarios, Artillery weights), scenario by the low-discrepancy sequence
 * frac((i + ½)·φ⁻¹) against the cumulative shares: a pure function of the iteration number (worker
 * threads agree without talking), and over any n iterations each scenario's count is within a few
 * iterations of n × its share, not just on average.
 */
const PHI_INV = (Math.sqrt(5) - 1) / 2;

export interface Picked<T> {
  scenario: T;
  /** How many times this scenario came before (unweighted: exact; weighted: the iteration number, for prompt rotation). */
  round: number;
}

const cumulative = new WeakMap<readonly object[], number[]>();

export function pickScenario<T extends { weight?: number | undefined }>(scenarios: readonly T[], iteration: number): Picked<T> {
  const n = scenarios.length;
  if (!scenarios.some((s) => s.weight !== undefined)) return { scenario: scenarios[iteration % n]!, round: Math.floor(iteration / n) };
  let cum = cumulative.get(scenarios);
  if (!cum) {
    const total = scenarios.reduce((a, s) => a + (s.weight ?? 1), 0);
    let acc = 0;
    cum = scenarios.map((s) => (acc += (s.weight ?? 1) / total));
    cumulative.set(scenarios, cum);
  }
  const u = ((iteration + 0.5) * PHI_INV) % 1;
  let k = 0;
  while (k < n - 1 && u >= cum[k]!) k++;
  return { scenario: scenarios[k]!, round: iteration };
}

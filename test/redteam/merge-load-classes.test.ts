import { describe, expect, it } from 'vitest';
import { mergeLoadContracts } from '../../harness/run/endpoints.ts';
import { loadStep } from '../helpers/contracts.ts';

/**
 * Contract summaries under load from several workers (or segments) were merged by adding pairs,
 * drifted and assertion failures, but `classes` (pairs with breaking/additive/value drift) and
 * `skipped` were the first shard's only. A first shard that compared clean and a second whose
 * candidate dropped a field gave `drifted: 3` with `classes.breaking: 0`, so
 * `contract_drift.breaking <= 0` passed a breaking candidate.
 */
const step = loadStep;

describe('contract summaries under load merged across shards', () => {
  it('adds every shard\'s drift classes and skipped flow runs', () => {
    const ex = { pointer: '/lot_code', kind: 'missing' as const, class: 'breaking' as const, baseline: 'LOT-1', candidate: undefined };
    const clean = step({});
    const broken = step({
      identical: 7,
      drifted: 3,
      drift: [{ pointer: '/lot_code', kind: 'missing', class: 'breaking', count: 3, occurrences: 3, example: ex, examples: [ex] }],
      classes: { breaking: 3, additive: 1, value: 0 },
      skipped: 2,
    });
    const [m] = mergeLoadContracts([[clean], [broken]]);
    expect(m!.drifted).toBe(3);
    expect(m!.classes).toEqual({ breaking: 3, additive: 1, value: 0 });
    expect(m!.skipped).toBe(2);
    expect(m!.drift[0]!.occurrences).toBe(3);
    const [again] = mergeLoadContracts([[broken], [broken]]);
    expect(again!.classes).toEqual({ breaking: 6, additive: 2, value: 0 });
    expect(again!.drift[0]).toMatchObject({ count: 6, occurrences: 6 });
    expect(again!.skipped).toBe(4);
  });

  it('a shard from a run.json without classes leaves the merged step without them (no data, never zero)', () => {
    const old = step({ drifted: 1, identical: 9 });
    delete old.classes;
    const [m] = mergeLoadContracts([[step({})], [old]]);
    expect(m!.classes).toBeUndefined();
  });
});
